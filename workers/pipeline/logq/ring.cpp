// The log queue's shared-memory segment: create or attach it, check its identity, read its
// statistics. Producer side: ring_producer.cpp; consumer side: ring_consumer.cpp; the layout
// they share: ring_layout.h.
#include "logq/ring.h"

#include <sys/random.h>

#include <ctime>
#include <new>
#include <optional>
#include <thread>
#include <utility>

#include "common/time.h"
#include "logq/ring_layout.h"

namespace ez::logq {

using namespace layout;

namespace {

std::string shm_name(std::string name) {
  if (name.empty() || name[0] != '/') name.insert(name.begin(), '/');
  return name;
}

}  // namespace

namespace {

// The identity part of the header as seen before the full mapping exists.
void check_identity(const Header& h, const std::string& name, const RingOptions* want) {
  if (h.magic.load(std::memory_order_acquire) != kMagic)
    throw RingError("log queue " + name + ": not an EZ-API log queue (bad magic)");
  if (h.version != kVersion || h.header_size != sizeof(Header))
    throw RingError("log queue " + name + ": layout version " + std::to_string(h.version) + "/" +
                    std::to_string(h.header_size) + ", this binary uses " +
                    std::to_string(kVersion) + "/" + std::to_string(sizeof(Header)) +
                    "; refusing to attach (drain it with the old binary, then remove /dev/shm" +
                    name + ")");
  if (want &&
      (h.capacity_entries != want->capacity_entries || h.capacity_bytes != want->capacity_bytes))
    throw RingError(
        "log queue " + name + ": exists with capacity " + std::to_string(h.capacity_entries) +
        " entries / " + std::to_string(h.capacity_bytes) + " bytes but config asks for " +
        std::to_string(want->capacity_entries) + " / " + std::to_string(want->capacity_bytes) +
        "; refusing to attach (drain it, stop everything, remove /dev/shm" + name + ")");
}

// Segment failures in the ring's vocabulary (the flusher and the master report RingError).
template <typename F>
auto as_ring_error(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const ShmError& e) {
    throw RingError(std::string("log queue: ") + e.what());
  }
}

}  // namespace

Ring::Ring(SharedMemory shm) : shm_(std::move(shm)) {
  hdr_ = static_cast<Header*>(shm_.data());
  data_ = static_cast<unsigned char*>(shm_.data()) + kDataOffset;
}

Ring::Ring(Ring&& o) noexcept
    : shm_(std::move(o.shm_)),
      hdr_(std::exchange(o.hdr_, nullptr)),
      data_(std::exchange(o.data_, nullptr)) {}

Ring& Ring::operator=(Ring&& o) noexcept {
  if (this != &o) {
    shm_ = std::move(o.shm_);
    hdr_ = std::exchange(o.hdr_, nullptr);
    data_ = std::exchange(o.data_, nullptr);
  }
  return *this;
}

Ring::~Ring() = default;

Ring Ring::open(const RingOptions& options_in) {
  RingOptions opt = options_in;
  const std::string name = shm_name(opt.name);
  opt.capacity_bytes = (opt.capacity_bytes + 4095) / 4096 * 4096;
  if (opt.capacity_entries == 0 || opt.capacity_entries > kMaxCapacityEntries)
    throw RingError("log queue " + name + ": capacity_entries must be 1.." +
                    std::to_string(kMaxCapacityEntries));
  if (opt.capacity_bytes < 4096 || opt.capacity_bytes > kMaxCapacityBytes)
    throw RingError("log queue " + name + ": capacity_bytes must be 4096.." +
                    std::to_string(kMaxCapacityBytes));
  const size_t total = kDataOffset + opt.capacity_bytes;

  for (int attempt = 0; attempt < 3; ++attempt) {
    // Whoever starts first creates the segment. 0660 whatever the umask: it must not lock
    // the flusher out of the master's queue.
    std::optional<SharedMemory> created = as_ring_error([&] {
      return SharedMemory::create_exclusive(name, total, 0660, SharedMemory::Umask::ignored);
    });
    if (created) {
      auto* h = new (created->data()) Header();  // zeroed memory; placement-new starts lifetimes
      h->version = kVersion;
      h->header_size = sizeof(Header);
      h->capacity_bytes = opt.capacity_bytes;
      h->capacity_entries = opt.capacity_entries;
      uint64_t id = 0;
      while (id == 0) {
        if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint64_t>(unix_now_ms());
      }
      h->ring_id = id;
      h->created_unix_ms = unix_now_ms();
      h->magic.store(kMagic, std::memory_order_release);  // last: now attachable
      return Ring(std::move(*created));
    }

    std::optional<SharedMemory> existing = as_ring_error(
        [&] { return SharedMemory::open_existing(name, SharedMemory::Access::read_write); });
    if (!existing) continue;  // removed between our two calls: try creating again
    // The creator may still be between shm_open and setting magic: wait a little for it.
    bool ready = false;
    for (int i = 0; i < 200 && !ready; ++i) {
      ready = as_ring_error([&] {
        if (existing->segment_size() < kDataOffset) return false;
        existing->map(kDataOffset);
        const auto* h = static_cast<const Header*>(existing->data());
        if (h->magic.load(std::memory_order_acquire) == 0) return false;
        check_identity(*h, name, &opt);
        return true;
      });
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!ready) {
      // A creator died half-way (size or magic never set): nothing can be in it. Replace it.
      SharedMemory::unlink(name);
      continue;
    }
    as_ring_error([&] { existing->map(total); });
    return Ring(std::move(*existing));
  }
  throw RingError("log queue " + name + ": could not create or attach (raced 3 times)");
}

Ring Ring::attach(const std::string& name_in) {
  const std::string name = shm_name(name_in);
  return as_ring_error([&] {
    SharedMemory shm = SharedMemory::attach(name, SharedMemory::Access::read_write, kDataOffset);
    const auto* h = static_cast<const Header*>(shm.data());
    check_identity(*h, name, nullptr);
    shm.map(kDataOffset + h->capacity_bytes);  // refuses a segment smaller than its capacity
    return Ring(std::move(shm));
  });
}

bool Ring::remove(const std::string& name) {
  return SharedMemory::unlink(shm_name(name));
}

uint64_t Ring::ring_id() const {
  return hdr_->ring_id;
}
uint64_t Ring::capacity_entries() const {
  return hdr_->capacity_entries;
}
uint64_t Ring::capacity_bytes() const {
  return hdr_->capacity_bytes;
}

Stats Ring::stats() const {
  const Header& h = *hdr_;
  Stats s;
  s.ring_id = h.ring_id;
  s.capacity_entries = h.capacity_entries;
  s.capacity_bytes = h.capacity_bytes;
  const uint64_t hp = h.head_pos.load(std::memory_order_acquire);
  const uint64_t he = h.head_ent.load(std::memory_order_acquire);
  const uint64_t t = h.tail.load(std::memory_order_acquire);
  const uint64_t tpos = unwrap(t & kTailPosMask, hp / 8, kTailPosMask) * 8;
  const uint64_t tent = unwrap(t >> kTailPosBits, he, kTailEntMask);
  s.depth_bytes = tpos - hp;
  s.depth_entries = tent - he;
  s.next_seq = tent + 1;
  s.enqueued = h.enqueued.load(std::memory_order_relaxed);
  s.enqueued_requests = h.enqueued_requests.load(std::memory_order_relaxed);
  s.refused = h.refused.load(std::memory_order_relaxed);
  s.refused_requests = h.refused_requests.load(std::memory_order_relaxed);
  s.waited_requests = h.waited_requests.load(std::memory_order_relaxed);
  s.consumed = h.consumed.load(std::memory_order_relaxed);
  s.abandoned = h.abandoned.load(std::memory_order_relaxed);
  s.abandoned_records = h.abandoned_records.load(std::memory_order_relaxed);
  FlusherStats& f = s.flusher;
  f.pid = h.f_pid.load(std::memory_order_relaxed);
  f.heartbeat_unix_ms = h.f_heartbeat_unix_ms.load(std::memory_order_relaxed);
  f.committed_seq = h.f_committed_seq.load(std::memory_order_relaxed);
  f.flushed_entries = h.f_flushed.load(std::memory_order_relaxed);
  f.batches = h.f_batches.load(std::memory_order_relaxed);
  f.db_errors = h.f_db_errors.load(std::memory_order_relaxed);
  f.last_flush_us = h.f_last_flush_us.load(std::memory_order_relaxed);
  f.max_flush_us = h.f_max_flush_us.load(std::memory_order_relaxed);
  f.total_flush_us = h.f_total_flush_us.load(std::memory_order_relaxed);
  f.last_error_unix_ms = h.f_last_error_unix_ms.load(std::memory_order_relaxed);
  f.db_connected = h.f_db_connected.load(std::memory_order_relaxed) != 0;
  s.lag = tent > f.committed_seq ? tent - f.committed_seq : 0;
  s.unlanded_since_unix_ms = h.unlanded_since_unix_ms.load(std::memory_order_seq_cst);
  return s;
}

void Ring::publish_unlanded(int64_t since_unix_ms, int64_t now_unix_ms) {
  Header& h = *hdr_;
  if (since_unix_ms != 0) {
    h.unlanded_since_unix_ms.store(since_unix_ms, std::memory_order_seq_cst);
    return;
  }
  // Clear, then look at the tail again: a producer that claimed before the clear may have
  // seen the old mark and left it alone, so its entry needs a mark of ours. Both sides are
  // sequentially consistent, so either we see its claim here or it sees our 0.
  h.unlanded_since_unix_ms.store(0, std::memory_order_seq_cst);
  const uint64_t he = h.head_ent.load(std::memory_order_acquire);
  const uint64_t t = h.tail.load(std::memory_order_seq_cst);
  const uint64_t claimed = unwrap(t >> kTailPosBits, he, kTailEntMask);
  if (claimed > h.f_committed_seq.load(std::memory_order_relaxed)) {
    int64_t expected = 0;
    h.unlanded_since_unix_ms.compare_exchange_strong(expected, now_unix_ms,
                                                     std::memory_order_seq_cst);
  }
}

void Ring::publish_flusher_stats(const FlusherStats& f) {
  Header& h = *hdr_;
  h.f_pid.store(f.pid, std::memory_order_relaxed);
  h.f_heartbeat_unix_ms.store(f.heartbeat_unix_ms, std::memory_order_relaxed);
  h.f_committed_seq.store(f.committed_seq, std::memory_order_relaxed);
  h.f_flushed.store(f.flushed_entries, std::memory_order_relaxed);
  h.f_batches.store(f.batches, std::memory_order_relaxed);
  h.f_db_errors.store(f.db_errors, std::memory_order_relaxed);
  h.f_last_flush_us.store(f.last_flush_us, std::memory_order_relaxed);
  h.f_max_flush_us.store(f.max_flush_us, std::memory_order_relaxed);
  h.f_total_flush_us.store(f.total_flush_us, std::memory_order_relaxed);
  h.f_last_error_unix_ms.store(f.last_error_unix_ms, std::memory_order_relaxed);
  h.f_db_connected.store(f.db_connected ? 1 : 0, std::memory_order_relaxed);
}

}  // namespace ez::logq
