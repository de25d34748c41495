// The log queue's shared-memory segment: create or attach it, check its identity, read its
// statistics. Producer side: ring_producer.cpp; consumer side: ring_consumer.cpp; the layout
// they share: ring_layout.h.
#include "logq/ring.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>
#include <thread>
#include <utility>

#include "common/fd.h"
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

class Mapping {
 public:
  Mapping(int fd, size_t len, const std::string& name) : len_(len) {
    void* p = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) throw RingError(errno_text("mmap", name));
    p_ = p;
  }
  Mapping(const Mapping&) = delete;
  ~Mapping() {
    if (p_) ::munmap(p_, len_);
  }
  [[nodiscard]] void* get() const { return p_; }
  [[nodiscard]] void* release() { return std::exchange(p_, nullptr); }

 private:
  void* p_ = nullptr;
  size_t len_;
};

}  // namespace

Ring::Ring(std::string name, int fd, void* base, size_t mapped)
    : name_(std::move(name)), fd_(fd), base_(base), mapped_(mapped) {
  hdr_ = static_cast<Header*>(base_);
  data_ = static_cast<unsigned char*>(base_) + kDataOffset;
}

Ring::Ring(Ring&& o) noexcept
    : name_(std::move(o.name_)),
      fd_(std::exchange(o.fd_, -1)),
      base_(std::exchange(o.base_, nullptr)),
      mapped_(std::exchange(o.mapped_, 0)),
      hdr_(std::exchange(o.hdr_, nullptr)),
      data_(std::exchange(o.data_, nullptr)) {}

Ring& Ring::operator=(Ring&& o) noexcept {
  Ring tmp(std::move(o));
  std::swap(name_, tmp.name_);
  std::swap(fd_, tmp.fd_);
  std::swap(base_, tmp.base_);
  std::swap(mapped_, tmp.mapped_);
  std::swap(hdr_, tmp.hdr_);
  std::swap(data_, tmp.data_);
  return *this;
}

Ring::~Ring() {
  if (base_) ::munmap(base_, mapped_);
  if (fd_ >= 0) ::close(fd_);
}

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
    // Whoever starts first creates the segment.
    UniqueFd fd(::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660));
    if (fd.get() >= 0) {
      ::fchmod(fd.get(), 0660);  // umask must not lock the flusher out of the master's queue
      if (::ftruncate(fd.get(), static_cast<off_t>(total)) != 0) {
        const std::string err = errno_text("ftruncate", name);
        ::shm_unlink(name.c_str());
        throw RingError(err);
      }
      Mapping map(fd.get(), total, name);
      auto* h = new (map.get()) Header();  // zeroed memory; placement-new starts lifetimes
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
      return Ring(name, fd.release(), map.release(), total);
    }
    if (errno != EEXIST) throw RingError(errno_text("shm_open", name));

    UniqueFd efd(::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0));
    if (efd.get() < 0) {
      if (errno == ENOENT) continue;  // removed between our two calls: try creating again
      throw RingError(errno_text("shm_open", name));
    }
    // The creator may still be between shm_open and setting magic: wait a little for it.
    bool ready = false;
    for (int i = 0; i < 200 && !ready; ++i) {
      struct stat st {};
      if (::fstat(efd.get(), &st) != 0) throw RingError(errno_text("fstat", name));
      if (static_cast<size_t>(st.st_size) >= kDataOffset) {
        Mapping head(efd.get(), kDataOffset, name);
        const auto* h = static_cast<const Header*>(head.get());
        if (h->magic.load(std::memory_order_acquire) != 0) {
          check_identity(*h, name, &opt);
          ready = true;
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!ready) {
      // A creator died half-way (size or magic never set): nothing can be in it. Replace it.
      ::shm_unlink(name.c_str());
      continue;
    }
    Mapping map(efd.get(), total, name);
    return Ring(name, efd.release(), map.release(), total);
  }
  throw RingError("log queue " + name + ": could not create or attach (raced 3 times)");
}

Ring Ring::attach(const std::string& name_in) {
  const std::string name = shm_name(name_in);
  UniqueFd fd(::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0));
  if (fd.get() < 0) throw RingError(errno_text("shm_open", name));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw RingError(errno_text("fstat", name));
  if (static_cast<size_t>(st.st_size) < kDataOffset)
    throw RingError("log queue " + name + ": segment too small");
  uint64_t cap = 0;
  {
    Mapping head(fd.get(), kDataOffset, name);
    const auto* h = static_cast<const Header*>(head.get());
    check_identity(*h, name, nullptr);
    cap = h->capacity_bytes;
  }
  if (static_cast<uint64_t>(st.st_size) < kDataOffset + cap)
    throw RingError("log queue " + name + ": segment smaller than its capacity");
  Mapping map(fd.get(), kDataOffset + cap, name);
  return Ring(name, fd.release(), map.release(), kDataOffset + cap);
}

bool Ring::remove(const std::string& name) {
  return ::shm_unlink(shm_name(name).c_str()) == 0;
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
  return s;
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
