#include "logq/unlanded.h"

namespace ez::logq {

void UnlandedClock::observe(int64_t now_unix_ms, uint64_t next_seq) {
  if (!samples_.empty() && next_seq <= samples_.back().next_seq) return;
  samples_.push_back({now_unix_ms, next_seq});
}

int64_t UnlandedClock::since(uint64_t committed) {
  // A sample with next_seq <= committed + 1 was taken before entry committed + 1 existed.
  while (!samples_.empty() && samples_.front().next_seq <= committed + 1) samples_.pop_front();
  return samples_.empty() ? 0 : samples_.front().unix_ms;
}

}  // namespace ez::logq
