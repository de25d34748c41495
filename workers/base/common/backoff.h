// Capped exponential back-off, once: the flusher's retries, and the PostgreSQL and
// Redis clients' "do not reconnect before" windows all grow the same way.
#pragma once

#include <chrono>
#include <cstdint>

namespace ez {

class Backoff {
 public:
  // `jitter`: spread each wait by +-20% so several processes do not retry in step.
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, bool jitter = false)
      : min_(min), max_(max), jitter_(jitter) {}

  // The next wait: min, then doubling up to max.
  [[nodiscard]] std::chrono::milliseconds next();
  // The wait next() returned last (0 before the first or after reset()).
  [[nodiscard]] std::chrono::milliseconds current() const { return current_; }
  void reset() { current_ = std::chrono::milliseconds{0}; }

 private:
  std::chrono::milliseconds min_, max_, current_{0};
  bool jitter_;
  uint64_t rng_state_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace ez
