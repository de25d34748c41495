#include "logq/ring.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <new>
#include <thread>
#include <utility>

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

namespace {

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

int64_t unix_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

std::string shm_name(std::string name) {
  if (name.empty() || name[0] != '/') name.insert(name.begin(), '/');
  return name;
}

std::string errno_text(const std::string& what, const std::string& name) {
  return "log queue " + name + ": " + what + ": " + std::strerror(errno);
}

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

bool pid_alive(pid_t pid) {
  if (pid <= 0) return true;  // unknown: be patient
  return kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

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
};
static_assert(sizeof(Header) <= kDataOffset);
// The layout of version 1; a change of size needs kVersion + 1 (old segments refuse then).
static_assert(sizeof(Header) == 448);
static_assert(std::atomic<uint32_t>::is_always_lock_free && sizeof(std::atomic<uint32_t>) == 4,
              "space_seq is a futex word");

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

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

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
    Fd fd(::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660));
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
        if (::getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint64_t>(unix_ms());
      }
      h->ring_id = id;
      h->created_unix_ms = unix_ms();
      h->magic.store(kMagic, std::memory_order_release);  // last: now attachable
      return Ring(name, fd.release(), map.release(), total);
    }
    if (errno != EEXIST) throw RingError(errno_text("shm_open", name));

    Fd efd(::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0));
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
  Fd fd(::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0));
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

uint64_t Ring::record_size(std::span<const std::string_view> entries) {
  uint64_t size = kRecordHeader;
  for (auto e : entries) size += 4 + e.size();
  return align8(size);
}

namespace {
std::atomic_ref<uint64_t> word_at(unsigned char* data, uint64_t cap, uint64_t pos) {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(data + pos % cap));
}
}  // namespace

Ring::EnqueueResult Ring::enqueue(std::span<const std::string_view> entries) {
  const EnqueueResult r = try_enqueue(entries);
  if (r.status == Status::full) count_refusal(entries.size());
  return r;
}

void Ring::count_refusal(uint64_t entries) {
  hdr_->refused.fetch_add(entries, std::memory_order_relaxed);
  hdr_->refused_requests.fetch_add(1, std::memory_order_relaxed);
}

namespace {

// FUTEX_WAIT on a word of the shared mapping (not FUTEX_PRIVATE: waker and waiter are
// different processes). Returns on a wake, a timeout, a signal, or at once when the word no
// longer holds `seen`; the caller re-checks in every case.
void futex_wait(std::atomic<uint32_t>& word, uint32_t seen, std::chrono::nanoseconds timeout) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT, seen, &ts, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr,
            0);
}

}  // namespace

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
  return {Status::ok, first_seq};
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

// ---------------------------------------------------------------------------------------------
// Consumer
// ---------------------------------------------------------------------------------------------

Consumer::Consumer(Ring& ring, ConsumerOptions options) : ring_(ring), opt_(options) {
  // A separate open file description, so even a second Consumer in the same process
  // conflicts (flock locks belong to the description, not the process).
  const int fd = ::shm_open(ring_.name_.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) throw RingError(errno_text("shm_open (consumer lock)", ring_.name_));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    throw RingError("log queue " + ring_.name_ +
                    ": another consumer (log flusher) is attached; refusing to run two");
  }
  lock_fd_ = fd;
  walk_pos_ = ring_.hdr_->head_pos.load(std::memory_order_acquire);
}

Consumer::~Consumer() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

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
