// How long the oldest log entry that is not durable yet has waited, as the flusher sees it.
//
// Records carry no enqueue time (the layout has no room for one), so the flusher samples
// the queue's next sequence now and then: an entry was queued no later than the first
// sample that shows it claimed. After a commit through `committed`, the oldest entry still
// waiting is committed + 1, and that sample's time is when it was first seen (off by at
// most the sampling period). Pure: the flusher feeds it times and sequences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

namespace ez::logq {

class UnlandedClock {
 public:
  // At `now_unix_ms`, every sequence below `next_seq` had been claimed. Samples that add
  // no new sequence are dropped, so the memory is bounded by the entries in flight.
  void observe(int64_t now_unix_ms, uint64_t next_seq);

  // When the oldest entry after `committed` was first seen claimed; 0 when no sample shows
  // one. Forgets the samples that only cover entries up to `committed`.
  [[nodiscard]] int64_t since(uint64_t committed);

  [[nodiscard]] size_t samples() const { return samples_.size(); }

 private:
  struct Sample {
    int64_t unix_ms;
    uint64_t next_seq;
  };
  std::deque<Sample> samples_;
};

}  // namespace ez::logq
