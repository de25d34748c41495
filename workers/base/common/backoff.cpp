#include "common/backoff.h"

#include <algorithm>

namespace ez {

std::chrono::milliseconds Backoff::failed(TimePoint now) {
  if (!ready(now)) return std::chrono::duration_cast<std::chrono::milliseconds>(not_before_ - now);
  current_ = current_.count() == 0 ? min_ : std::min(current_ * 2, max_);
  auto wait = current_;
  if (jitter_) {
    // xorshift: no need for a real generator to spread retries.
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    const auto span = current_.count() / 5;
    const auto jitter = span > 0 ? static_cast<int64_t>(rng_state_ % (2 * span + 1)) - span : 0;
    wait = std::chrono::milliseconds{current_.count() + jitter};
  }
  not_before_ = now + wait;
  return wait;
}

void Backoff::succeeded() {
  current_ = std::chrono::milliseconds{0};
  not_before_ = TimePoint{};
}

}  // namespace ez
