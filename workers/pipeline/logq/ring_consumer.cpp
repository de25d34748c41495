// The consumer side of the log queue (Consumer): walk committed records, skip abandoned
// claims, hand out entries, free space only on release(). Single reader, see ring.h.
#include <linux/futex.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>
#include <utility>

#include "logq/ring.h"
#include "logq/ring_layout.h"

namespace ez::logq {

using namespace layout;

namespace {

bool pid_alive(pid_t pid) {
  if (pid <= 0) return true;  // unknown: be patient
  return kill(pid, 0) == 0 || errno == EPERM;
}

void futex_wake_all(std::atomic<uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr,
            0);
}

}  // namespace

namespace {

// A separate open file description of the segment, locked: even a second Consumer in the
// same process conflicts (flock locks belong to the description, not the process).
SharedMemory lock_consumer(const std::string& name) {
  std::optional<SharedMemory> shm;
  try {
    shm = SharedMemory::open_existing(name, SharedMemory::Access::read_write);
  } catch (const ShmError& e) {
    throw RingError(std::string("log queue (consumer lock): ") + e.what());
  }
  if (!shm)
    throw RingError("log queue " + name + ": shm_open (consumer lock): " + std::strerror(ENOENT));
  if (::flock(shm->fd(), LOCK_EX | LOCK_NB) != 0)
    throw RingError("log queue " + name +
                    ": another consumer (log flusher) is attached; refusing to run two");
  return std::move(*shm);
}

}  // namespace

Consumer::Consumer(Ring& ring, ConsumerOptions options)
    : ring_(ring), opt_(options), lock_(lock_consumer(ring.name())) {
  walk_pos_ = ring_.hdr_->head_pos.load(std::memory_order_acquire);
}

Consumer::~Consumer() = default;

uint64_t Consumer::next_seq() const {
  const Header& h = *ring_.hdr_;
  const uint64_t he = h.head_ent.load(std::memory_order_acquire);
  return unwrap(h.tail.load(std::memory_order_acquire) >> kTailPosBits, he, kTailEntMask) + 1;
}

namespace {
uint64_t tail_pos_full(const Header& h) {
  const uint64_t hp = h.head_pos.load(std::memory_order_acquire);
  return unwrap(h.tail.load(std::memory_order_acquire) & kTailPosMask, hp / 8, kTailPosMask) * 8;
}
}  // namespace

bool Consumer::caught_up() const {
  return emit_idx_ == walked_.size() && walk_pos_ == tail_pos_full(*ring_.hdr_);
}

bool Consumer::walk_one(std::chrono::steady_clock::time_point now) {
  Header& h = *ring_.hdr_;
  const uint64_t cap = h.capacity_bytes;
  const uint64_t tail = tail_pos_full(h);
  if (walk_pos_ >= tail) return false;
  auto hw = word_at(ring_.data_, cap, walk_pos_);
  const uint64_t room = std::min(tail - walk_pos_, cap - walk_pos_ % cap);
  // A header we can trust: known state, and a length that stays inside the claimed space
  // and the data area.
  auto plausible = [&](uint64_t w, uint64_t max_len) {
    const uint64_t st = state_of(w);
    if (st < kPending || st > kAbandoned) return false;
    const uint64_t len = len_of(w);
    if (len > max_len) return false;
    return st == kPadding ? len > 0 : len >= kRecordHeader;
  };
  auto stalled_for = [&] {
    if (stall_pos_ != walk_pos_) {
      stall_pos_ = walk_pos_;
      stall_since_ = now;
    }
    return now - stall_since_;
  };
  auto push = [&](Kind kind, uint64_t len, uint64_t seq, uint32_t n) {
    walked_.push_back(Walked{walk_pos_, len, kind, seq, n});
    walk_pos_ += len;
    stall_pos_ = UINT64_MAX;
  };

  for (;;) {
    const uint64_t w = hw.load(std::memory_order_acquire);
    const uint64_t st = state_of(w);
    if (st == kDead) {
      // Left by a previous consumer that marked a region and died before releasing it.
      uint64_t p = walk_pos_;
      while (p < tail && p - walk_pos_ < room &&
             word_at(ring_.data_, cap, p).load(std::memory_order_acquire) == kDeadWord)
        p += 8;
      push(Kind::dead, p - walk_pos_, 0, 0);
      return true;
    }
    if (st != kFree && plausible(w, room)) {
      switch (st) {
        case kCommitted: {
          uint64_t seq = 0;
          std::memcpy(&seq, ring_.data_ + walk_pos_ % cap + 8, 8);
          push(Kind::data, len_of(w), seq, n_of(w));
          return true;
        }
        case kPadding:
          push(Kind::padding, len_of(w), 0, 0);
          return true;
        case kAbandoned:
          push(Kind::abandoned, len_of(w), 0, n_of(w));
          return true;
        case kPending: {
          const auto waited = stalled_for();
          const bool dead = !pid_alive(pid_of(w));
          if (waited < (dead ? opt_.dead_producer_timeout : opt_.stuck_timeout)) return false;
          uint64_t expect = w;
          if (hw.compare_exchange_strong(expect, with_state(w, kAbandoned),
                                         std::memory_order_acq_rel)) {
            push(Kind::abandoned, len_of(w), 0, n_of(w));
            return true;
          }
          continue;  // it committed just now: read it again
        }
      }
    }
    // Unwritten claim (FREE of this lap) or a word that is no header at all.
    if (stalled_for() < opt_.unwritten_timeout) return false;
    // Mark every word DEAD until the first real header: a producer that claimed inside this
    // region and has not yet published its header will lose its CAS and report `abandoned`.
    // Headers precede payload, so the first non-free word we meet is a header.
    uint64_t p = walk_pos_;
    const uint64_t end = walk_pos_ + room;
    bool published_late = false;
    while (p < end) {
      auto pw = word_at(ring_.data_, cap, p);
      uint64_t expect = free_word(p / cap);
      if (pw.compare_exchange_strong(expect, kDeadWord, std::memory_order_acq_rel)) {
        p += 8;
        continue;
      }
      if (plausible(expect, end - p)) {
        published_late = p == walk_pos_;  // the slow producer got its header in after all
        break;
      }
      if (expect == kDeadWord) {
        p += 8;
        continue;
      }
      pw.store(kDeadWord, std::memory_order_release);  // garbage: claim it for the dead region
      p += 8;
    }
    if (published_late) continue;
    push(Kind::dead, p - walk_pos_, 0, 0);
    return true;
  }
}

size_t Consumer::poll(std::vector<Entry>& out, size_t max_entries) {
  const uint64_t cap = ring_.hdr_->capacity_bytes;
  const auto now = std::chrono::steady_clock::now();
  size_t added = 0;
  while (added < max_entries) {
    if (emit_idx_ == walked_.size()) {
      if (!walk_one(now)) break;
      emit_entry_ = 0;
      emit_off_ = kRecordHeader;
    }
    Walked& r = walked_[emit_idx_];
    if (r.kind != Kind::data || emit_entry_ >= r.n) {
      ++emit_idx_;
      emit_entry_ = 0;
      emit_off_ = kRecordHeader;
      continue;
    }
    const unsigned char* rec = ring_.data_ + r.pos % cap;
    uint32_t len = 0;
    if (emit_off_ + 4 <= r.len) std::memcpy(&len, rec + emit_off_, 4);
    if (emit_off_ + 4 + uint64_t{len} > r.len) {
      // Cannot happen with our producers; never read out of the record if it does.
      r.n = emit_entry_;
      continue;
    }
    const uint64_t seq = r.seq + emit_entry_;
    if (seq > skip_seq_) {
      out.push_back(
          Entry{seq, std::string_view(reinterpret_cast<const char*>(rec) + emit_off_ + 4, len)});
      ++added;
    }
    ++emit_entry_;
    emit_off_ += 4 + uint64_t{len};
    if (emit_entry_ >= r.n) {
      ++emit_idx_;
      emit_entry_ = 0;
      emit_off_ = kRecordHeader;
    }
  }
  if (skip_seq_ > released_seq_) release(skip_seq_);

  // Drained: entries of unwritten claims (whose count the records could not tell us) are
  // settled by taking the entry count from a tail snapshot that equals the head.
  Header& h = *ring_.hdr_;
  if (walked_.empty()) {
    const uint64_t hp = h.head_pos.load(std::memory_order_relaxed);
    const uint64_t t = h.tail.load(std::memory_order_acquire);
    if (walk_pos_ == hp && unwrap(t & kTailPosMask, hp / 8, kTailPosMask) * 8 == hp) {
      const uint64_t he = h.head_ent.load(std::memory_order_relaxed);
      const uint64_t tent = unwrap(t >> kTailPosBits, he, kTailEntMask);
      if (tent > he) {
        h.abandoned.fetch_add(tent - he, std::memory_order_relaxed);
        h.head_ent.store(tent, std::memory_order_release);
        wake_space_waiters();
      }
    }
  }
  return added;
}

void Consumer::free_region(uint64_t pos, uint64_t len) {
  // Every word gets FREE(next lap): the producer that next claims it expects exactly that.
  const uint64_t cap = ring_.hdr_->capacity_bytes;
  auto* w = reinterpret_cast<uint64_t*>(ring_.data_ + pos % cap);
  const uint64_t value = free_word(pos / cap + 1);
  // Header word last-but-atomically is not needed: nobody may claim this space until
  // head_pos (stored with release after this) moves past it.
  std::fill(w, w + len / 8, value);
}

void Consumer::release(uint64_t last_seq) {
  Header& h = *ring_.hdr_;
  uint64_t head_ent = h.head_ent.load(std::memory_order_relaxed);
  uint64_t consumed = 0, abandoned = 0, abandoned_records = 0;
  size_t popped = 0;
  while (popped < emit_idx_) {
    const Walked& r = walked_.front();
    if (r.kind == Kind::data && r.seq + r.n - 1 > last_seq) break;
    switch (r.kind) {
      case Kind::data:
        if (r.seq - 1 > head_ent) abandoned += r.seq - 1 - head_ent;  // unwritten claims
        head_ent = r.seq - 1 + r.n;
        consumed += r.n;
        released_seq_ = std::max(released_seq_, r.seq + r.n - 1);
        break;
      case Kind::abandoned:
        head_ent += r.n;
        abandoned += r.n;
        ++abandoned_records;
        break;
      case Kind::dead:
        ++abandoned_records;  // its entries are counted when the next record shows the gap
        break;
      case Kind::padding:
        break;
    }
    free_region(r.pos, r.len);
    // Per record, so a consumer killed half-way leaves at most one freed-but-unreleased record.
    h.head_ent.store(head_ent, std::memory_order_release);
    h.head_pos.store(r.pos + r.len, std::memory_order_release);
    walked_.pop_front();
    ++popped;
  }
  if (popped == 0) return;
  emit_idx_ -= popped;
  h.consumed.fetch_add(consumed, std::memory_order_relaxed);
  h.abandoned.fetch_add(abandoned, std::memory_order_relaxed);
  h.abandoned_records.fetch_add(abandoned_records, std::memory_order_relaxed);
  wake_space_waiters();
}

void Consumer::wake_space_waiters() {
  // After the head stores above (see Ring::enqueue_wait for the ordering argument). The
  // wake is a syscall, so it is skipped when nobody waits: the common, unloaded case.
  Header& h = *ring_.hdr_;
  h.space_seq.fetch_add(1, std::memory_order_seq_cst);
  if (h.space_waiters.load(std::memory_order_seq_cst) != 0) futex_wake_all(h.space_seq);
}

void Consumer::skip_through(uint64_t seq) {
  skip_seq_ = std::max(skip_seq_, seq);
}

}  // namespace ez::logq
