// Internal to logq: the shared-memory layout of the log queue (ring.h), shared by its three
// parts: the segment (ring.cpp: create, attach, identity, statistics), the producer side
// (ring_producer.cpp: Ring::enqueue*) and the consumer side (ring_consumer.cpp: Consumer).
// Changing anything here changes the layout: bump kVersion (old segments refuse to attach).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace ez::logq {

// ---------------------------------------------------------------------------------------------
// Layout
//
// Segment: [Header, padded to 4096][data area of capacity_bytes].
//
// Positions are "full" byte offsets that never wrap (index = pos % capacity, lap = pos /
// capacity). Records start on 8-byte boundaries and never straddle the end of the data area:
// a producer whose record would, claims a PADDING record up to the end plus its record at
// the start, in the same CAS.
//
// Record: word0 (atomic header word) | word1 (first entry's sequence) | entries...
//         each entry: u32 length | bytes; the record is padded to a multiple of 8.
//
// Header word (64 bits): state in the top 3 bits.
//   FREE      : rest = lap of the position. Every word of free space holds FREE(lap) of the
//               lap that will next write it (a zero-filled new segment is FREE(0)). Producers
//               publish their header with CAS(FREE(lap) -> PENDING), so a producer that was
//               stalled past the consumer's timeout (whose word the consumer marked DEAD, or
//               already recycled into the next lap) loses the CAS and reports `abandoned`.
//   PENDING   : claimed and being written. rest = pid | n | len/8.
//   COMMITTED : published (CAS PENDING -> COMMITTED, release).
//   PADDING   : filler up to the end of the data area.
//   ABANDONED : PENDING whose producer vanished; the consumer won CAS PENDING -> ABANDONED.
//   DEAD      : one word of a claim whose header was never written; the consumer CASes
//               FREE -> DEAD over such a region word by word until it meets a real header.
//
// Tail word (producers, CAS): low 40 bits = position / 8 (mod 2^40), high 24 bits = entries
// claimed (mod 2^24). Packing both makes "reserve bytes AND entries" one atomic step.
// Consumer-owned head_pos / head_ent hold full values; producers unwrap the tail against them.
// ---------------------------------------------------------------------------------------------

namespace layout {

constexpr uint64_t kMagic = 0x31305147'4F4C5A45ULL;  // "EZLOGQ01" little-endian
constexpr uint32_t kVersion = 1;
constexpr uint64_t kDataOffset = 4096;
constexpr uint64_t kRecordHeader = 16;

constexpr unsigned kStateShift = 61;
enum State : uint64_t {
  kFree = 0,
  kPending = 1,
  kCommitted = 2,
  kPadding = 3,
  kAbandoned = 4,
  kDead = 5
};
constexpr uint64_t kLapMask = (uint64_t{1} << kStateShift) - 1;
constexpr unsigned kLenBits = 23, kNBits = 16, kPidBits = 22;
constexpr uint64_t kLenMask = (uint64_t{1} << kLenBits) - 1;
constexpr uint64_t kNMask = (uint64_t{1} << kNBits) - 1;
constexpr uint64_t kPidMask = (uint64_t{1} << kPidBits) - 1;
constexpr uint64_t kMaxRecordBytes = kLenMask * 8;

constexpr unsigned kTailPosBits = 40, kTailEntBits = 24;
constexpr uint64_t kTailPosMask = (uint64_t{1} << kTailPosBits) - 1;
constexpr uint64_t kTailEntMask = (uint64_t{1} << kTailEntBits) - 1;
constexpr uint64_t kMaxCapacityEntries = uint64_t{1} << 22;  // well under half of 2^24
constexpr uint64_t kMaxCapacityBytes = uint64_t{1} << 32;

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared-memory atomics need it");
static_assert(std::atomic_ref<uint64_t>::is_always_lock_free);

constexpr uint64_t state_of(uint64_t w) {
  return w >> kStateShift;
}
constexpr uint64_t free_word(uint64_t lap) {
  return lap & kLapMask;
}
constexpr uint64_t make_word(uint64_t state, uint64_t pid, uint64_t n, uint64_t len) {
  return (state << kStateShift) | ((pid & kPidMask) << (kLenBits + kNBits)) |
         ((n & kNMask) << kLenBits) | ((len / 8) & kLenMask);
}
constexpr uint64_t with_state(uint64_t w, uint64_t state) {
  return (w & kLapMask) | (state << kStateShift);
}
constexpr uint64_t len_of(uint64_t w) {
  return (w & kLenMask) * 8;
}
constexpr uint32_t n_of(uint64_t w) {
  return static_cast<uint32_t>((w >> kLenBits) & kNMask);
}
constexpr pid_t pid_of(uint64_t w) {
  return static_cast<pid_t>((w >> (kLenBits + kNBits)) & kPidMask);
}
constexpr uint64_t kDeadWord = kDead << kStateShift;

constexpr uint64_t align8(uint64_t v) {
  return (v + 7) & ~uint64_t{7};
}

// Full value from its low `mask` bits, given a full reference known to be <= it and within
// half the modulus of it.
constexpr uint64_t unwrap(uint64_t low, uint64_t ref, uint64_t mask) {
  return ref + ((low - ref) & mask);
}

// The header word at full position `pos` of the data area, for atomic access.
inline std::atomic_ref<uint64_t> word_at(unsigned char* data, uint64_t cap, uint64_t pos) {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(data + pos % cap));
}

}  // namespace layout

struct alignas(64) Header {
  // Identity: written once by the creator, magic last (release).
  std::atomic<uint64_t> magic;
  uint32_t version;
  uint32_t header_size;
  uint64_t capacity_bytes;
  uint64_t capacity_entries;
  uint64_t ring_id;
  int64_t created_unix_ms;

  alignas(64) std::atomic<uint64_t> tail;  // producers: packed position/entries

  alignas(64) std::atomic<uint64_t> head_pos;  // consumer: full byte position
  std::atomic<uint64_t> head_ent;              // consumer: full entry position
  // Back-pressure (Ring::enqueue_wait): the consumer bumps space_seq after it frees space
  // and FUTEX_WAKEs it when space_waiters is non-zero. Both sat in this cache line's padding,
  // so adding them kept sizeof(Header) and the layout version: a segment made by an older
  // binary holds zeros here, which are valid initial values.
  std::atomic<uint32_t> space_seq;
  std::atomic<uint32_t> space_waiters;  // a hint: a waiter killed mid-wait leaves it high

  alignas(64) std::atomic<uint64_t> enqueued;
  std::atomic<uint64_t> enqueued_requests;
  std::atomic<uint64_t> refused;
  std::atomic<uint64_t> refused_requests;
  std::atomic<uint64_t> waited_requests;  // found the queue full and waited for space

  alignas(64) std::atomic<uint64_t> consumed;
  std::atomic<uint64_t> abandoned;
  std::atomic<uint64_t> abandoned_records;

  alignas(64) std::atomic<int64_t> f_pid;
  std::atomic<int64_t> f_heartbeat_unix_ms;
  std::atomic<uint64_t> f_committed_seq;
  std::atomic<uint64_t> f_flushed;
  std::atomic<uint64_t> f_batches;
  std::atomic<uint64_t> f_db_errors;
  std::atomic<uint64_t> f_last_flush_us;
  std::atomic<uint64_t> f_max_flush_us;
  std::atomic<uint64_t> f_total_flush_us;
  std::atomic<int64_t> f_last_error_unix_ms;
  std::atomic<uint64_t> f_db_connected;
  // Wall-clock time since which the oldest entry not yet durable has waited (0: none).
  // A producer sets it (CAS from 0) after queueing into an empty backlog; the flusher
  // moves it forward as it commits and clears it when it catches up (Ring::publish_unlanded).
  // It sits in this cache line's padding, like space_seq: sizeof(Header) and the layout
  // version are unchanged, and an older segment holds 0 here, a valid initial value.
  std::atomic<int64_t> unlanded_since_unix_ms;
};
static_assert(sizeof(Header) <= layout::kDataOffset);
// The layout of version 1; a change of size needs kVersion + 1 (old segments refuse then).
static_assert(sizeof(Header) == 448);
static_assert(std::atomic<uint32_t>::is_always_lock_free && sizeof(std::atomic<uint32_t>) == 4,
              "space_seq is a futex word");

}  // namespace ez::logq
