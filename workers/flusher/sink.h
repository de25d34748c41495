// Where the flusher writes batches: an interface, so the loop (batching, retries, exactly-once
// bookkeeping) is tested without a database and PgSink stays a thin COPY wrapper.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "logq/ring.h"

namespace ez::flusher {

// The stored committed sequence is not the one the caller expected (a commit whose
// acknowledgement was lost, or a second writer): re-read it and retry.
class StaleState : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct WriteResult {
  uint64_t committed_seq = 0;  // now durable: entries.back().seq
  size_t written = 0;          // rows that went into logs
  size_t rejected = 0;         // rows PostgreSQL refused, kept in logs_rejected instead
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Highest sequence of this queue already durable (0: none). Throws on database trouble.
  [[nodiscard]] virtual uint64_t committed_seq(uint64_t ring_id) = 0;
  // One transaction: every entry, plus committed_seq moved from `expected` to the last
  // entry's sequence. Throws StaleState if the stored value is not `expected` (nothing is
  // written then), anything else on database trouble (nothing is written either).
  [[nodiscard]] virtual WriteResult write(uint64_t ring_id, uint64_t expected,
                                          std::span<const logq::Consumer::Entry> entries) = 0;
  // Partitions ahead / retention. Throws on database trouble.
  virtual void maintain(int days_ahead, int retention_days) = 0;
  // Forget the connection after an error (the next call reconnects).
  virtual void disconnect() noexcept = 0;
  [[nodiscard]] virtual bool connected() const = 0;
  // Where the committed batches' time went so far, one line for the log ("" if untracked).
  [[nodiscard]] virtual std::string timing_summary() const { return {}; }
};

}  // namespace ez::flusher
