// Capped exponential back-off, once: the flusher's retries, and the PostgreSQL and
// Redis clients' "do not reconnect before" windows all grow the same way.
//
// The type owns the time of the next attempt, not only the length of the wait: a
// caller asks ready(now), reports failed(now) or succeeded(), and cannot push the
// next attempt out by itself. A failure reported while the wait still runs (the
// caller was refused by the back-off, it made no attempt) changes nothing, so a
// caller that retries more often than the wait (a 1 s tick against a 5 s back-off)
// still gets its attempt when the wait is over instead of never.
#pragma once

#include <chrono>
#include <cstdint>

namespace ez {

class Backoff {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // `jitter`: spread each wait by +-20% so several processes do not retry in step.
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, bool jitter = false)
      : min_(min), max_(max), jitter_(jitter) {}

  // True when an attempt may start at `now`: nothing failed since the last success,
  // or the wait after the last failure is over.
  [[nodiscard]] bool ready(TimePoint now) const { return now >= not_before_; }
  // The attempt ready(now) allowed failed: the next one waits min, then twice as long
  // per consecutive failure, up to max. Called while !ready(now) it is no new failure
  // and changes nothing. Returns the time from `now` to the next attempt.
  std::chrono::milliseconds failed(TimePoint now);
  // An attempt succeeded: the next failure waits min again.
  void succeeded();
  // The next attempt may start at once, and the failures so far still count (the next
  // failure waits longer than the last): for a connection dropped because its server
  // may have moved (a failover), not because a connect failed.
  void retry_now() { not_before_ = TimePoint{}; }

  // When the next attempt may start (a time in the past when ready).
  [[nodiscard]] TimePoint not_before() const { return not_before_; }
  // The wait the last failure started, before jitter (0 after a success).
  [[nodiscard]] std::chrono::milliseconds current() const { return current_; }

 private:
  std::chrono::milliseconds min_, max_, current_{0};
  bool jitter_;
  TimePoint not_before_{};
  uint64_t rng_state_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace ez
