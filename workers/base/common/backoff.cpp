#include "common/backoff.h"

#include <algorithm>

namespace ez {

std::chrono::milliseconds Backoff::next() {
  current_ = current_.count() == 0 ? min_ : std::min(current_ * 2, max_);
  if (!jitter_) return current_;
  // xorshift: no need for a real generator to spread retries.
  rng_state_ ^= rng_state_ << 13;
  rng_state_ ^= rng_state_ >> 7;
  rng_state_ ^= rng_state_ << 17;
  const auto span = current_.count() / 5;
  const auto jitter = span > 0 ? static_cast<int64_t>(rng_state_ % (2 * span + 1)) - span : 0;
  return std::chrono::milliseconds{current_.count() + jitter};
}

}  // namespace ez
