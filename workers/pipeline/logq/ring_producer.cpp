// The producer side of the log queue (Ring::enqueue, Ring::enqueue_wait): claim space with a
// CAS on the tail, publish the header, write the payload, commit. Lock-free; see ring.h.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <ctime>

#include "common/time.h"
#include "logq/ring.h"
#include "logq/ring_layout.h"

namespace ez::logq {

using namespace layout;

namespace {

// getpid() is a syscall on current glibc; cache it per process and refresh after fork().
pid_t g_pid = 0;
void refresh_pid() {
  g_pid = getpid();
}
pid_t my_pid() {
  static const bool registered = [] {
    refresh_pid();
    pthread_atfork(nullptr, nullptr, &refresh_pid);
    return true;
  }();
  (void)registered;
  return g_pid;
}

// FUTEX_WAIT on a word of the shared mapping (not FUTEX_PRIVATE: waker and waiter are
// different processes). Returns on a wake, a timeout, a signal, or at once when the word no
// longer holds `seen`; the caller re-checks in every case.
void futex_wait(std::atomic<uint32_t>& word, uint32_t seen, std::chrono::nanoseconds timeout) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, seen, &ts, nullptr, 0);
}

}  // namespace

uint64_t Ring::record_size(std::span<const std::string_view> entries) {
  uint64_t size = kRecordHeader;
  for (auto e : entries) size += 4 + e.size();
  return align8(size);
}

Ring::EnqueueResult Ring::enqueue(std::span<const std::string_view> entries) {
  const EnqueueResult r = try_enqueue(entries);
  if (r.status == Status::full) count_refusal(entries.size());
  return r;
}

void Ring::count_refusal(uint64_t entries) {
  hdr_->refused.fetch_add(entries, std::memory_order_relaxed);
  hdr_->refused_requests.fetch_add(1, std::memory_order_relaxed);
}

Ring::EnqueueResult Ring::enqueue_wait(std::span<const std::string_view> entries,
                                       std::chrono::milliseconds max_wait) {
  EnqueueResult r = try_enqueue(entries);
  if (r.status != Status::full || max_wait.count() <= 0) {
    if (r.status == Status::full) count_refusal(entries.size());
    return r;
  }
  Header& h = *hdr_;
  h.waited_requests.fetch_add(1, std::memory_order_relaxed);
  const auto deadline = std::chrono::steady_clock::now() + max_wait;
  for (;;) {
    // No spinning: sleep in the kernel on space_seq until the consumer frees space.
    // Order matters against Consumer::wake_space_waiters (head store, seq bump, waiter
    // check, all seq_cst or release): register as a waiter, THEN read the sequence, THEN try
    // again. If the consumer saw no waiter, its bump precedes our read, so the retry sees the
    // space it freed; otherwise it wakes us, or the kernel sees the word moved past `seen`
    // and does not sleep at all. Nothing is lost between the try and the sleep.
    h.space_waiters.fetch_add(1, std::memory_order_seq_cst);
    const uint32_t seen = h.space_seq.load(std::memory_order_seq_cst);
    r = try_enqueue(entries);
    const auto now = std::chrono::steady_clock::now();
    if (r.status != Status::full || now >= deadline) {
      h.space_waiters.fetch_sub(1, std::memory_order_relaxed);
      if (r.status == Status::full) count_refusal(entries.size());
      return r;
    }
    // Sliced: a consumer of an older binary never bumps space_seq, and space can also come
    // back without a bump (the head catching up on abandoned claims); 50 ms bounds both.
    futex_wait(h.space_seq, seen, std::min<std::chrono::nanoseconds>(deadline - now, kWaitSlice));
    h.space_waiters.fetch_sub(1, std::memory_order_relaxed);
  }
}

Ring::EnqueueResult Ring::try_enqueue(std::span<const std::string_view> entries) {
  Header& h = *hdr_;
  const uint64_t cap = h.capacity_bytes;
  const uint64_t n = entries.size();
  if (n == 0) return {Status::ok, 0};
  for (auto e : entries)
    if (e.size() > UINT32_MAX) return {Status::too_large, 0};
  const uint64_t size = record_size(entries);
  // Beyond half the data area a record would fit only at some tail positions (padding to the
  // end plus the record must fit), so on an idle queue it might never fit: too large, not full.
  if (n > kMaxEntriesPerRecord || n > h.capacity_entries || size > cap / 2 ||
      size > kMaxRecordBytes)
    return {Status::too_large, 0};

  // Claim: reserve padding (if the record would straddle the end) + record, and n entries.
  uint64_t pos = 0, pad = 0, first_ent = 0;
  for (;;) {
    const uint64_t t = h.tail.load(std::memory_order_acquire);
    const uint64_t hp = h.head_pos.load(std::memory_order_acquire);
    const uint64_t he = h.head_ent.load(std::memory_order_acquire);
    // The head values were read while the tail still equalled t, so head <= t and the
    // distance is below the capacity: unwrapping against them is exact.
    if (h.tail.load(std::memory_order_acquire) != t) continue;
    const uint64_t tpos = unwrap(t & kTailPosMask, hp / 8, kTailPosMask) * 8;
    const uint64_t tent = unwrap(t >> kTailPosBits, he, kTailEntMask);
    const uint64_t to_end = cap - tpos % cap;
    pad = size > to_end ? to_end : 0;
    const uint64_t need = pad + size;
    if (tpos + need - hp > cap || tent + n - he > h.capacity_entries)
      return {Status::full, 0};  // counted by the caller once it gives up
    const uint64_t next =
        (((tpos + need) / 8) & kTailPosMask) | (((tent + n) & kTailEntMask) << kTailPosBits);
    uint64_t expected = t;
    if (h.tail.compare_exchange_weak(expected, next, std::memory_order_acq_rel,
                                     std::memory_order_relaxed)) {
      pos = tpos;
      first_ent = tent;
      break;
    }
  }

  using testing::EnqueueStep;
  if (testing::g_enqueue_hook) testing::g_enqueue_hook(EnqueueStep::claimed);
  const uint64_t pid = static_cast<uint64_t>(my_pid());
  if (pad) {
    uint64_t expect = free_word(pos / cap);
    if (!word_at(data_, cap, pos)
             .compare_exchange_strong(expect, make_word(kPadding, pid, 0, pad),
                                      std::memory_order_release))
      return {Status::abandoned, 0};
    pos += pad;
  }
  const uint64_t pending = make_word(kPending, pid, n, size);
  uint64_t expect = free_word(pos / cap);
  auto hw = word_at(data_, cap, pos);
  // Publish the header before any payload, so a consumer scanning an unwritten claim never
  // mistakes payload for a header.
  if (!hw.compare_exchange_strong(expect, pending, std::memory_order_acq_rel))
    return {Status::abandoned, 0};
  if (testing::g_enqueue_hook) testing::g_enqueue_hook(EnqueueStep::header_published);
  unsigned char* rec = data_ + pos % cap;
  const uint64_t first_seq = first_ent + 1;  // sequences start at 1; 0 means "none"
  std::memcpy(rec + 8, &first_seq, 8);
  unsigned char* p = rec + kRecordHeader;
  for (auto e : entries) {
    const auto len = static_cast<uint32_t>(e.size());
    std::memcpy(p, &len, 4);
    std::memcpy(p + 4, e.data(), e.size());
    p += 4 + e.size();
  }
  if (testing::g_enqueue_hook) testing::g_enqueue_hook(EnqueueStep::payload_written);
  expect = pending;
  if (!hw.compare_exchange_strong(expect, with_state(pending, kCommitted),
                                  std::memory_order_release, std::memory_order_relaxed))
    return {Status::abandoned, 0};
  h.enqueued.fetch_add(n, std::memory_order_relaxed);
  h.enqueued_requests.fetch_add(1, std::memory_order_relaxed);
  // Start the "oldest unlanded entry" clock when nothing else was waiting. Under load the
  // mark is already set and this is one load; the flusher moves it forward as it commits.
  // The fence orders our claim before the load (Ring::publish_unlanded relies on it).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (h.unlanded_since_unix_ms.load(std::memory_order_seq_cst) == 0) {
    int64_t expected = 0;
    h.unlanded_since_unix_ms.compare_exchange_strong(expected, unix_now_ms(),
                                                     std::memory_order_seq_cst);
  }
  return {Status::ok, first_seq};
}

}  // namespace ez::logq
