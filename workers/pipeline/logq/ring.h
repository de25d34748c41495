// Bounded multi-producer / single-consumer log queue in POSIX shared memory.
//
// Model: Aeron's many-to-one ring buffer. Producers (FastCGI workers) claim space by a CAS
// on a shared tail, write their record, then publish it by a CAS on the record's header
// word; the single consumer (the log flusher) reads header words with acquire loads.
// Nothing here takes a lock, so a process killed at any instruction cannot block the others.
//
// Properties the rest of the log path relies on (docs/architecture.md, "Logs path"):
//  * All or nothing: one request's entries go into ONE record, claimed with one CAS, so
//    either every entry of a request is queued or none is.
//  * Sequences: every entry gets a 64-bit sequence number, dense and growing in queue order
//    for the lifetime of the ring (ring_id() tells rings apart across a re-creation).
//  * Two-phase consumption: Consumer::poll() hands out entries without freeing them;
//    Consumer::release(seq) frees space only after the caller made them durable, so a
//    consumer crash re-reads whatever it had not released.
//  * A producer killed between claim and commit does not wedge the consumer: after a timeout
//    the consumer marks the claim abandoned (a CAS the late producer would lose, so a record
//    is either committed-and-read or abandoned-and-refused, never both) and skips it.
//  * The segment survives restarts of producers and consumer (it lives until shm_unlink or
//    reboot); a binary with a different layout or capacity refuses to attach.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/shm.h"

namespace ez::logq {

// Any failure to create, attach or validate the shared-memory segment.
class RingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RingOptions {
  std::string name;  // POSIX shm name, e.g. "/ezapi-logq" (leading '/' added if missing)
  uint64_t capacity_entries = 10000;  // most entries queued at once (< 2^23)
  uint64_t capacity_bytes = 8 << 20;  // data area; rounded up to a multiple of 4096
};

// Statistics the flusher publishes for /metrics and /readyz (single writer: the flusher).
struct FlusherStats {
  int64_t pid = 0;                // 0: no flusher has attached yet
  int64_t heartbeat_unix_ms = 0;  // last loop iteration; stale => flusher hung or dead
  uint64_t committed_seq = 0;     // highest sequence durable in PostgreSQL (0: none yet)
  uint64_t flushed_entries = 0;   // rows written since the segment was created
  uint64_t batches = 0;           // committed transactions
  uint64_t db_errors = 0;         // failed transactions/connection attempts
  uint64_t last_flush_us = 0;     // duration of the last committed transaction
  uint64_t max_flush_us = 0;
  uint64_t total_flush_us = 0;
  int64_t last_error_unix_ms = 0;
  bool db_connected = false;
};

// A consistent-enough snapshot of the ring (each field is read atomically on its own).
struct Stats {
  uint64_t ring_id = 0;
  uint64_t capacity_entries = 0;
  uint64_t capacity_bytes = 0;
  uint64_t depth_entries = 0;  // claimed and not yet released
  uint64_t depth_bytes = 0;
  uint64_t next_seq = 0;  // sequence the next claimed entry will get
  uint64_t enqueued = 0;  // entries committed by producers
  uint64_t enqueued_requests = 0;
  uint64_t refused = 0;  // entries refused because the ring was full
  uint64_t refused_requests = 0;
  uint64_t waited_requests = 0;  // requests that found the queue full and waited for space
  uint64_t consumed = 0;         // entries released by the consumer
  uint64_t abandoned = 0;        // entries of claims skipped after their producer vanished
  uint64_t abandoned_records = 0;
  uint64_t lag = 0;  // next_seq - 1 - flusher.committed_seq (entries not durable)
  FlusherStats flusher;
};

struct Header;  // layout private to ring.cpp

namespace testing {
// Points inside Ring::enqueue where tests kill or stop the producer, to reproduce a worker
// dying between claim and commit. Null (one predictable branch) outside tests.
enum class EnqueueStep { claimed, header_published, payload_written };
inline void (*g_enqueue_hook)(EnqueueStep) = nullptr;
}  // namespace testing

class Ring {
 public:
  // Creates the segment if absent (whoever starts first), else attaches to it. Throws
  // RingError if an existing segment has another magic/version/layout or capacity.
  [[nodiscard]] static Ring open(const RingOptions& options);
  // Attaches to an existing segment whatever its capacity (read-only users: stats, tools).
  [[nodiscard]] static Ring attach(const std::string& name);
  // Removes the name (the memory lives on while mapped). False if it did not exist.
  static bool remove(const std::string& name);

  Ring(Ring&& other) noexcept;
  Ring& operator=(Ring&& other) noexcept;
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring();

  enum class Status {
    ok,
    full,       // not enough room now (bytes or entries): nothing was queued, retry later
    too_large,  // can never fit (more entries than the ring holds, more than half its
                // bytes, or more than kMaxEntriesPerRecord)
    abandoned,  // the consumer gave up on this claim while we were writing: nothing queued
  };
  struct EnqueueResult {
    Status status;
    uint64_t first_seq;  // sequence of entries[0] when status == ok
  };

  // Appends all entries as one record, or none of them. Never blocks; lock-free.
  [[nodiscard]] EnqueueResult enqueue(std::span<const std::string_view> entries);
  // The same, but when the queue is full, waits up to max_wait for the consumer to free
  // enough space (sleeping in the kernel on a futex the consumer wakes, never spinning),
  // then gives up with Status::full. Back-pressure: a client that posts faster than the
  // flusher lands is slowed down to the landing rate instead of being refused.
  [[nodiscard]] EnqueueResult enqueue_wait(std::span<const std::string_view> entries,
                                           std::chrono::milliseconds max_wait);
  // Longest single sleep inside enqueue_wait before it looks again by itself.
  static constexpr std::chrono::milliseconds kWaitSlice{50};

  // Bytes one record holding entries of these sizes occupies (header + framing + padding).
  [[nodiscard]] static uint64_t record_size(std::span<const std::string_view> entries);
  // Largest number of entries one record (hence one request) can carry.
  static constexpr uint64_t kMaxEntriesPerRecord = 65535;

  [[nodiscard]] Stats stats() const;
  [[nodiscard]] uint64_t ring_id() const;
  [[nodiscard]] uint64_t capacity_entries() const;
  [[nodiscard]] uint64_t capacity_bytes() const;
  [[nodiscard]] const std::string& name() const { return shm_.name(); }

  // Only the (single) consumer writes these; anyone may read them through stats().
  void publish_flusher_stats(const FlusherStats& s);

 private:
  friend class Consumer;
  explicit Ring(SharedMemory shm);
  // enqueue() without counting a refusal (enqueue_wait tries several times).
  [[nodiscard]] EnqueueResult try_enqueue(std::span<const std::string_view> entries);
  void count_refusal(uint64_t entries);

  SharedMemory shm_;  // the whole segment, mapped read-write
  Header* hdr_ = nullptr;
  unsigned char* data_ = nullptr;
};

struct ConsumerOptions {
  // A claim whose header was never written (producer died right after claiming) is
  // skipped after this long; a live producer that slow gets Status::abandoned.
  std::chrono::milliseconds unwritten_timeout{500};
  // A claim whose producer wrote its header but not its commit: skipped this long after
  // its producer's pid is gone ...
  std::chrono::milliseconds dead_producer_timeout{200};
  // ... or after this long even if that pid still exists (stopped, or the pid was reused).
  std::chrono::milliseconds stuck_timeout{30000};
};

// The single reader. Holds an exclusive flock on the segment for its lifetime, so a second
// flusher fails fast instead of double-writing; the kernel drops the lock if we die.
class Consumer {
 public:
  explicit Consumer(Ring& ring, ConsumerOptions options = {});
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  ~Consumer();

  struct Entry {
    uint64_t seq;
    std::string_view data;  // points into the ring: valid until release() covers seq
  };

  // Appends up to max_entries committed entries after the previous poll to `out`, skipping
  // abandoned claims and entries <= skip_through(). Never blocks. Returns the count added.
  size_t poll(std::vector<Entry>& out, size_t max_entries);

  // Entries with seq <= last_seq are durable elsewhere: free their records. Idempotent.
  void release(uint64_t last_seq);

  // Entries with seq <= seq were committed before a restart: poll() drops them.
  void skip_through(uint64_t seq);

  // Sequence the next claimed entry will get (i.e. highest claimed + 1).
  [[nodiscard]] uint64_t next_seq() const;
  // True if poll() has handed out everything claimed so far (pending claims count as data).
  [[nodiscard]] bool caught_up() const;

 private:
  enum class Kind : uint8_t { data, padding, abandoned, dead };
  struct Walked {
    uint64_t pos;  // full (never wrapping) byte position of the record
    uint64_t len;  // bytes, multiple of 8
    Kind kind;
    uint64_t seq;  // data: first entry's sequence
    uint32_t n;    // data/abandoned: entries
  };

  // Reads the record at walk_pos_; appends it to walked_ if it can be decided now.
  bool walk_one(std::chrono::steady_clock::time_point now);
  void free_region(uint64_t pos, uint64_t len);
  // Tells producers blocked in Ring::enqueue_wait that space was freed.
  void wake_space_waiters();

  Ring& ring_;
  ConsumerOptions opt_;
  SharedMemory lock_;          // a second descriptor of the segment, unmapped: holds the flock
  std::deque<Walked> walked_;  // walked, not yet released, in queue order
  size_t emit_idx_ = 0;        // walked_[emit_idx_] is the record poll() is inside of
  uint32_t emit_entry_ = 0;    // next entry index inside it
  uint64_t emit_off_ = 0;      // byte offset of that entry inside the record
  uint64_t walk_pos_ = 0;      // full position of the next record to walk
  uint64_t skip_seq_ = 0;
  uint64_t released_seq_ = 0;  // highest sequence released (data only)
  // When the record at walk_pos_ was first seen undecided (unwritten or uncommitted).
  uint64_t stall_pos_ = UINT64_MAX;
  std::chrono::steady_clock::time_point stall_since_{};
};

}  // namespace ez::logq
