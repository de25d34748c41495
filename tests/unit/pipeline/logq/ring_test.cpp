// Tests for workers/pipeline/logq/ring.*: the shared-memory MPSC log queue.
#include "logq/ring.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using ez::logq::Consumer;
using ez::logq::ConsumerOptions;
using ez::logq::Ring;
using ez::logq::RingError;
using ez::logq::RingOptions;
using Status = ez::logq::Ring::Status;
using namespace std::chrono_literals;

namespace {

// A uniquely named segment, removed before and after the test.
struct TempRingName {
  std::string name;
  TempRingName() {
    static int counter = 0;
    name = "/ezlogq-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
    Ring::remove(name);
  }
  ~TempRingName() { Ring::remove(name); }
  RingOptions options(uint64_t entries, uint64_t bytes) const {
    return RingOptions{name, entries, bytes};
  }
};

ConsumerOptions fast_timeouts() {
  ConsumerOptions o;
  o.unwritten_timeout = 50ms;
  o.dead_producer_timeout = 20ms;
  o.stuck_timeout = 300ms;
  return o;
}

Ring::EnqueueResult put(Ring& ring, std::vector<std::string> entries) {
  std::vector<std::string_view> views(entries.begin(), entries.end());
  return ring.enqueue(views);
}

// Polls until `want` entries arrived or the deadline passed; releases as it goes.
std::vector<std::pair<uint64_t, std::string>> drain(Consumer& c, size_t want,
                                                    std::chrono::seconds limit = 10s) {
  std::vector<std::pair<uint64_t, std::string>> got;
  std::vector<Consumer::Entry> batch;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
    batch.clear();
    c.poll(batch, 64);
    for (auto& e : batch) got.emplace_back(e.seq, std::string(e.data));
    if (!batch.empty())
      c.release(batch.back().seq);
    else
      std::this_thread::sleep_for(1ms);
  }
  return got;
}

// Memory shared with fork()ed children (anonymous, so nothing to clean up on disk).
template <typename T>
struct SharedArray {
  T* p = nullptr;
  size_t n = 0;
  explicit SharedArray(size_t count) : n(count) {
    void* m =
        mmap(nullptr, sizeof(T) * count, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    BOOST_REQUIRE(m != MAP_FAILED);
    p = static_cast<T*>(m);
  }
  ~SharedArray() { munmap(p, sizeof(T) * n); }
  T& operator[](size_t i) { return p[i]; }
};

int wait_exit(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return st;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logq_ring)

BOOST_AUTO_TEST_CASE(single_process_roundtrip) {
  TempRingName tn;
  Ring ring = Ring::open(tn.options(100, 1 << 16));
  BOOST_TEST(ring.ring_id() != 0u);
  auto r1 = put(ring, {"alpha"});
  BOOST_REQUIRE(r1.status == Status::ok);
  BOOST_TEST(r1.first_seq == 1u);
  auto r2 = put(ring, {"b", "", std::string(1000, 'x')});
  BOOST_REQUIRE(r2.status == Status::ok);
  BOOST_TEST(r2.first_seq == 2u);
  BOOST_TEST(ring.stats().depth_entries == 4u);

  Consumer c(ring);
  std::vector<Consumer::Entry> got;
  BOOST_TEST(c.poll(got, 2) == 2u);
  BOOST_TEST(got[0].seq == 1u);
  BOOST_TEST(got[0].data == "alpha");
  BOOST_TEST(got[1].seq == 2u);
  BOOST_TEST(got[1].data == "b");
  BOOST_TEST(c.poll(got, 10) == 2u);
  BOOST_TEST(got[2].seq == 3u);
  BOOST_TEST(got[2].data.empty());
  BOOST_TEST(got[3].data == std::string(1000, 'x'));
  BOOST_TEST(c.poll(got, 10) == 0u);
  BOOST_TEST(c.caught_up());
  BOOST_TEST(c.next_seq() == 5u);

  // Partial release: record 2 (seqs 2..4) is only freed once all of it is durable.
  c.release(3);
  BOOST_TEST(ring.stats().consumed == 1u);
  c.release(4);
  auto s = ring.stats();
  BOOST_TEST(s.consumed == 4u);
  BOOST_TEST(s.enqueued == 4u);
  BOOST_TEST(s.enqueued_requests == 2u);
  BOOST_TEST(s.depth_entries == 0u);
  BOOST_TEST(s.depth_bytes == 0u);
  BOOST_TEST(s.next_seq == 5u);
}

BOOST_AUTO_TEST_CASE(empty_enqueue_is_a_no_op) {
  TempRingName tn;
  Ring ring = Ring::open(tn.options(10, 4096));
  BOOST_TEST((ring.enqueue({}).status == Status::ok));
  BOOST_TEST(ring.stats().depth_entries == 0u);
}

BOOST_AUTO_TEST_CASE(wraps_around_many_laps_in_order) {
  TempRingName tn;
  Ring ring = Ring::open(tn.options(1000, 4096));
  Consumer c(ring);
  std::mt19937 rng(7);
  uint64_t next_produced = 0, next_read = 0, expected_seq = 1;
  std::vector<Consumer::Entry> got;
  // Sizes chosen so records regularly straddle the end and need padding.
  for (int round = 0; round < 3000; ++round) {
    const int entries = 1 + static_cast<int>(rng() % 3);
    std::vector<std::string> rec;
    for (int j = 0; j < entries; ++j) {
      std::string s = std::to_string(next_produced + j) + ":";
      s.append(rng() % 300, static_cast<char>('a' + (next_produced + j) % 26));
      rec.push_back(s);
    }
    auto r = put(ring, rec);
    if (r.status == Status::ok) {
      BOOST_REQUIRE(r.first_seq == next_produced + 1);
      next_produced += entries;
    } else {
      BOOST_REQUIRE(r.status == Status::full);
    }
    if (rng() % 2 == 0 || r.status == Status::full) {
      got.clear();
      c.poll(got, 1 + rng() % 8);
      for (auto& e : got) {
        BOOST_REQUIRE(e.seq == expected_seq);
        ++expected_seq;
        const std::string prefix = std::to_string(next_read) + ":";
        BOOST_REQUIRE(e.data.substr(0, prefix.size()) == prefix);
        for (char ch : e.data.substr(prefix.size()))
          BOOST_REQUIRE(ch == static_cast<char>('a' + next_read % 26));
        ++next_read;
      }
      if (!got.empty()) c.release(got.back().seq);
    }
  }
  got.clear();
  while (c.poll(got, 100) > 0) {
  }
  for (auto& e : got) BOOST_REQUIRE(e.seq == expected_seq++);
  next_read += got.size();
  if (!got.empty()) c.release(got.back().seq);
  BOOST_TEST(next_read == next_produced);
  auto s = ring.stats();
  BOOST_TEST(s.consumed == next_produced);
  BOOST_TEST(s.depth_bytes == 0u);
  BOOST_TEST(s.abandoned == 0u);
  BOOST_TEST(s.next_seq == next_produced + 1);
  BOOST_TEST(s.enqueued == next_produced);
}

BOOST_AUTO_TEST_CASE(full_refuses_whole_request) {
  TempRingName tn;
  {
    // Entry capacity.
    Ring ring = Ring::open(tn.options(5, 1 << 16));
    BOOST_TEST((put(ring, {"1", "2", "3"}).status == Status::ok));
    BOOST_TEST((put(ring, {"4", "5", "6"}).status == Status::full));  // would be 6 > 5
    BOOST_TEST((put(ring, {"4", "5"}).status == Status::ok));
    BOOST_TEST((put(ring, {"6"}).status == Status::full));
    BOOST_TEST((put(ring, {"1", "2", "3", "4", "5", "6"}).status == Status::too_large));
    auto s = ring.stats();
    BOOST_TEST(s.enqueued == 5u);
    BOOST_TEST(s.refused == 4u);
    BOOST_TEST(s.refused_requests == 2u);
    Consumer c(ring);
    auto got = drain(c, 5, 2s);
    BOOST_TEST(got.size() == 5u);
    BOOST_TEST((put(ring, {"6"}).status == Status::ok));  // room again after release
  }
  Ring::remove(tn.name);
  {
    // Byte capacity.
    Ring ring = Ring::open(tn.options(1000, 4096));
    const std::string big(1000, 'b');
    int ok = 0;
    while (put(ring, {big}).status == Status::ok) ++ok;
    BOOST_TEST(ok == 4);  // 4 x 1024-byte records fill 4096 bytes
    BOOST_TEST((put(ring, {"x"}).status == Status::full));
    BOOST_TEST((put(ring, {std::string(5000, 'z')}).status == Status::too_large));
    Consumer c(ring);
    auto got = drain(c, 4, 2s);
    BOOST_TEST(got.size() == 4u);
    BOOST_TEST(ring.stats().depth_bytes == 0u);
  }
}

// Back-pressure: a producer (another process, as the workers are) blocked on a full queue
// goes on as soon as the consumer frees space, and sleeps meanwhile instead of spinning.
BOOST_AUTO_TEST_CASE(blocked_producer_proceeds_when_the_consumer_frees_space) {
  TempRingName tn;
  Ring ring = Ring::open(tn.options(4, 1 << 16));
  BOOST_REQUIRE((put(ring, {"a", "b", "c"}).status == Status::ok));
  Consumer c(ring);
  const pid_t child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    const std::vector<std::string_view> two = {"d", "e"};  // 3 + 2 > 4: must wait
    const auto r = ring.enqueue_wait(two, 20s);
    _exit(r.status == Status::ok ? 0 : 1);
  }
  std::this_thread::sleep_for(300ms);
  int st = 0;
  BOOST_TEST(waitpid(child, &st, WNOHANG) == 0);  // still waiting: nothing was freed yet
  BOOST_TEST(ring.stats().waited_requests == 1u);
  auto got = drain(c, 3, 2s);  // frees the three entries
  BOOST_REQUIRE(got.size() == 3u);
  rusage ru{};
  BOOST_REQUIRE(wait4(child, &st, 0, &ru) == child);
  BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 0));  // queued, long before its 20 s
  // It slept in the kernel: a spinning waiter would have burnt ~300 ms of CPU.
  const double cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                        (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  BOOST_TEST(cpu_ms < 150.0);
  auto rest = drain(c, 2, 2s);
  BOOST_REQUIRE(rest.size() == 2u);
  BOOST_TEST(rest[0].second == "d");
  BOOST_TEST(rest[1].second == "e");
  const auto s = ring.stats();
  BOOST_TEST(s.refused == 0u);  // a wait that ended in success is not a refusal
  BOOST_TEST(s.enqueued_requests == 2u);
}

BOOST_AUTO_TEST_CASE(blocked_producer_gives_up_after_the_wait) {
  TempRingName tn;
  Ring ring = Ring::open(tn.options(2, 1 << 16));
  BOOST_REQUIRE((put(ring, {"a", "b"}).status == Status::ok));
  const std::vector<std::string_view> one = {"c"};
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = ring.enqueue_wait(one, 200ms);
  const auto waited = std::chrono::steady_clock::now() - t0;
  BOOST_TEST((r.status == Status::full));
  BOOST_TEST(waited >= 200ms);  // it did wait for the whole allowance before giving up
  auto s = ring.stats();
  BOOST_TEST(s.waited_requests == 1u);
  BOOST_TEST(s.refused == 1u);  // counted once, not once per look
  BOOST_TEST(s.refused_requests == 1u);
  BOOST_TEST(s.depth_entries == 2u);
  // No allowance: refused at once, as enqueue() does, and not counted as a wait.
  BOOST_TEST((ring.enqueue_wait(one, 0ms).status == Status::full));
  s = ring.stats();
  BOOST_TEST(s.waited_requests == 1u);
  BOOST_TEST(s.refused_requests == 2u);
  // Too large never waits: it could never fit.
  const std::vector<std::string_view> three = {"x", "y", "z"};
  BOOST_TEST((ring.enqueue_wait(three, 10s).status == Status::too_large));
  BOOST_TEST(ring.stats().waited_requests == 1u);
}

BOOST_AUTO_TEST_CASE(contents_survive_restarts_and_unreleased_entries_are_read_again) {
  TempRingName tn;
  uint64_t id = 0;
  {
    Ring ring = Ring::open(tn.options(100, 1 << 16));
    id = ring.ring_id();
    for (int i = 1; i <= 10; ++i)
      BOOST_REQUIRE((put(ring, {"e" + std::to_string(i)}).status == Status::ok));
  }
  {
    // A consumer that read everything but made only 4 durable, then "crashed".
    Ring ring = Ring::open(tn.options(100, 1 << 16));
    BOOST_TEST(ring.ring_id() == id);
    Consumer c(ring);
    std::vector<Consumer::Entry> got;
    BOOST_TEST(c.poll(got, 100) == 10u);
    c.release(4);
  }
  {
    Ring ring = Ring::open(tn.options(100, 1 << 16));
    Consumer c(ring);
    std::vector<Consumer::Entry> got;
    BOOST_TEST(c.poll(got, 100) == 6u);
    BOOST_TEST(got.front().seq == 5u);
    BOOST_TEST(got.front().data == "e5");
  }
  {
    // The database said 7 is committed: entries up to 7 are dropped and freed.
    Ring ring = Ring::open(tn.options(100, 1 << 16));
    Consumer c(ring);
    c.skip_through(7);
    std::vector<Consumer::Entry> got;
    BOOST_TEST(c.poll(got, 100) == 3u);
    BOOST_TEST(got.front().seq == 8u);
    BOOST_TEST(ring.stats().consumed == 7u);  // 4 released earlier + 3 skipped now
    c.release(got.back().seq);
    BOOST_TEST(ring.stats().depth_entries == 0u);
  }
}

BOOST_AUTO_TEST_CASE(mismatched_segments_refuse_to_attach) {
  TempRingName tn;
  {
    Ring ring = Ring::open(tn.options(100, 1 << 16));
    BOOST_CHECK_THROW(Ring::open(tn.options(101, 1 << 16)), RingError);
    BOOST_CHECK_THROW(Ring::open(tn.options(100, 1 << 17)), RingError);
    Ring any = Ring::attach(tn.name);  // readers that do not care about capacity
    BOOST_TEST(any.capacity_entries() == 100u);
  }
  Ring::remove(tn.name);
  // A segment that is not ours (garbage header).
  int fd = shm_open(tn.name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(ftruncate(fd, 8192) == 0);
  const char junk[] = "definitely not a log queue";
  BOOST_REQUIRE(pwrite(fd, junk, sizeof junk, 0) == static_cast<ssize_t>(sizeof junk));
  close(fd);
  BOOST_CHECK_THROW(Ring::open(tn.options(100, 1 << 16)), RingError);
  BOOST_CHECK_THROW(Ring::attach(tn.name), RingError);
  BOOST_CHECK_THROW(Ring::attach("/ezlogq-test-does-not-exist"), RingError);
  BOOST_CHECK_THROW(Ring::open(tn.options(0, 1 << 16)), RingError);
}

BOOST_AUTO_TEST_CASE(only_one_consumer) {
  TempRingName tn;
  Ring ring = Ring::open(tn.options(10, 4096));
  {
    Consumer c(ring);
    BOOST_CHECK_THROW(Consumer second(ring), RingError);
  }
  Consumer again(ring);  // the lock went with the first one
}

BOOST_AUTO_TEST_CASE(openers_racing_to_create_share_one_segment) {
  // The master and the flusher start together: whichever creates the queue, every opener
  // must end up on that one segment, never on a second one or an error.
  constexpr int kOpeners = 4;
  for (int round = 0; round < 10; ++round) {
    TempRingName tn;
    SharedArray<uint64_t> ids(kOpeners);
    SharedArray<int> go(1);
    std::vector<pid_t> kids;
    for (int k = 0; k < kOpeners; ++k) {
      const pid_t pid = fork();
      BOOST_REQUIRE(pid >= 0);
      if (pid == 0) {
        while (std::atomic_ref<int>(go[0]).load() == 0) std::this_thread::yield();
        try {
          ids[static_cast<size_t>(k)] = Ring::open(tn.options(100, 1 << 16)).ring_id();
          _exit(0);
        } catch (...) {
          _exit(1);
        }
      }
      kids.push_back(pid);
    }
    std::atomic_ref<int>(go[0]).store(1);
    for (pid_t p : kids) {
      const int st = wait_exit(p);
      BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 0));
    }
    const Ring ring = Ring::attach(tn.name);
    for (int k = 0; k < kOpeners; ++k) BOOST_TEST(ids[static_cast<size_t>(k)] == ring.ring_id());
  }
}

BOOST_AUTO_TEST_CASE(a_segment_left_half_made_by_a_dead_creator_is_replaced) {
  TempRingName tn;
  const RingOptions opt = tn.options(100, 1 << 16);
  // Killed right after shm_open (no size), then after ftruncate (no header): open() waits
  // for the creator to finish, gives up on it and makes a working queue.
  for (const off_t size : {off_t{0}, off_t{4096 + (1 << 16)}}) {
    Ring::remove(tn.name);
    const int fd = shm_open(tn.name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
    BOOST_REQUIRE(fd >= 0);
    BOOST_REQUIRE(ftruncate(fd, size) == 0);
    close(fd);
    Ring ring = Ring::open(opt);
    BOOST_TEST(ring.capacity_entries() == 100u);
    BOOST_TEST(ring.ring_id() != 0u);
    BOOST_TEST((put(ring, {"a", "b"}).status == Status::ok));
    BOOST_TEST(Ring::attach(tn.name).stats().enqueued == 2u);
  }
}

BOOST_AUTO_TEST_CASE(the_segment_is_0660_whatever_the_umask) {
  // The flusher may run as another user of the group: a strict umask must not lock it out.
  TempRingName tn;
  const mode_t old = umask(077);
  std::optional<Ring> ring;
  try {
    ring.emplace(Ring::open(tn.options(10, 4096)));
  } catch (...) {
    umask(old);
    throw;
  }
  umask(old);
  struct stat st {};
  BOOST_REQUIRE(stat(("/dev/shm" + tn.name).c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0660u);
}

BOOST_AUTO_TEST_CASE(forked_producers_each_entry_read_once_in_producer_order) {
  TempRingName tn;
  Ring ring = Ring::open(tn.options(300, 1 << 15));
  constexpr int kProducers = 4;
  constexpr int kRecords = 3000;
  std::vector<pid_t> kids;
  for (int k = 0; k < kProducers; ++k) {
    pid_t pid = fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      Ring mine = Ring::open(tn.options(300, 1 << 15));
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      for (int i = 0; i < kRecords; ++i) {
        const int n = 1 + i % 3;
        std::vector<std::string> rec;
        for (int j = 0; j < n; ++j)
          rec.push_back(std::to_string(k) + " " + std::to_string(i) + " " + std::to_string(j) +
                        std::string((i * 7 + j) % 97, '.'));
        for (;;) {
          auto r = put(mine, rec);
          if (r.status == Status::ok) break;
          if (r.status != Status::full || std::chrono::steady_clock::now() > deadline) _exit(2);
          std::this_thread::yield();
        }
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  Consumer c(ring);
  std::map<std::tuple<int, int, int>, int> seen;
  std::vector<int> last_record(kProducers, -1);
  std::vector<Consumer::Entry> got;
  uint64_t total = 0, last_seq = 0;
  const uint64_t want = uint64_t{kProducers} * (kRecords / 3) * (1 + 2 + 3);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool ordered = true;
  while (total < want && std::chrono::steady_clock::now() < deadline) {
    got.clear();
    c.poll(got, 100);
    for (auto& e : got) {
      int k = -1, i = -1, j = -1;
      BOOST_REQUIRE(std::sscanf(std::string(e.data).c_str(), "%d %d %d", &k, &i, &j) == 3);
      ordered = ordered && e.seq == last_seq + 1;
      last_seq = e.seq;
      ++seen[{k, i, j}];
      if (i < last_record[k]) ordered = false;
      last_record[k] = i;
    }
    total += got.size();
    if (!got.empty())
      c.release(got.back().seq);
    else
      std::this_thread::sleep_for(200us);
  }
  for (pid_t p : kids) {
    int st = wait_exit(p);
    BOOST_TEST((WIFEXITED(st) && WEXITSTATUS(st) == 0));
  }
  BOOST_TEST(total == want);
  BOOST_TEST(seen.size() == want);
  for (auto& [key, count] : seen) BOOST_REQUIRE(count == 1);
  BOOST_TEST(ordered);
  auto s = ring.stats();
  BOOST_TEST(s.consumed == want);
  BOOST_TEST(s.enqueued == want);
  BOOST_TEST(s.abandoned == 0u);
}

namespace {

ez::logq::testing::EnqueueStep g_crash_step;
int g_crash_signal = SIGKILL;
void crash_at_step(ez::logq::testing::EnqueueStep step) {
  if (step == g_crash_step) raise(g_crash_signal);
}

// Fork a child that enqueues one record of `n` entries and dies (or stops) at `step`.
// Exit codes when it lives on: 0 ok, 10 abandoned, 11 other.
pid_t spawn_crashing_producer(const RingOptions& opt, ez::logq::testing::EnqueueStep step, int sig,
                              int n, size_t entry_size) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  Ring mine = Ring::open(opt);
  g_crash_step = step;
  g_crash_signal = sig;
  ez::logq::testing::g_enqueue_hook = &crash_at_step;
  std::vector<std::string> rec(n, std::string(entry_size, 'c'));
  auto r = put(mine, rec);
  _exit(r.status == Status::ok ? 0 : r.status == Status::abandoned ? 10 : 11);
}

}  // namespace

BOOST_AUTO_TEST_CASE(producer_killed_between_claim_and_commit_is_skipped) {
  using Step = ez::logq::testing::EnqueueStep;
  for (Step step : {Step::claimed, Step::header_published, Step::payload_written}) {
    BOOST_TEST_CONTEXT("step " << static_cast<int>(step)) {
      TempRingName tn;
      auto opt = tn.options(100, 1 << 14);
      Ring ring = Ring::open(opt);
      BOOST_REQUIRE((put(ring, {"before"}).status == Status::ok));
      pid_t kid = spawn_crashing_producer(opt, step, SIGKILL, 3, 50);
      BOOST_REQUIRE(kid > 0);
      int st = wait_exit(kid);
      BOOST_REQUIRE(WIFSIGNALED(st));
      BOOST_REQUIRE((put(ring, {"after1", "after2"}).status == Status::ok));

      Consumer c(ring, fast_timeouts());
      auto got = drain(c, 3);
      BOOST_REQUIRE(got.size() == 3u);
      BOOST_TEST(got[0].second == "before");
      BOOST_TEST(got[1].second == "after1");
      BOOST_TEST(got[2].second == "after2");
      BOOST_TEST(got[0].first == 1u);
      BOOST_TEST(got[1].first == 5u);  // 2..4 went to the dead claim
      auto s = ring.stats();
      BOOST_TEST(s.abandoned == 3u);
      BOOST_TEST(s.abandoned_records == 1u);
      BOOST_TEST(s.depth_entries == 0u);
      BOOST_TEST(s.depth_bytes == 0u);
      // The space is usable again, many laps over.
      for (int i = 0; i < 200; ++i) {
        BOOST_REQUIRE((put(ring, {std::string(300, 'r')}).status == Status::ok));
        BOOST_REQUIRE(drain(c, 1).size() == 1u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(dead_claim_at_the_end_of_the_ring_with_padding) {
  using Step = ez::logq::testing::EnqueueStep;
  TempRingName tn;
  auto opt = tn.options(100, 4096);
  Ring ring = Ring::open(opt);
  Consumer c(ring, fast_timeouts());
  // Move the tail to 3000 bytes into the ring (and free that space).
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE((put(ring, {std::string(984, 'f')}).status == Status::ok));
  BOOST_REQUIRE(drain(c, 3).size() == 3u);
  BOOST_REQUIRE(ring.stats().depth_bytes == 0u);
  // A 2000-byte record does not fit in the last 1096 bytes: padding + record, then death.
  pid_t kid = spawn_crashing_producer(opt, Step::claimed, SIGKILL, 1, 2000);
  BOOST_REQUIRE(WIFSIGNALED(wait_exit(kid)));
  auto s = ring.stats();
  BOOST_TEST(s.depth_bytes > 3000u);
  // Nothing else fits until the consumer gives up on the dead claim.
  std::vector<Consumer::Entry> got;
  for (int i = 0; i < 2000 && put(ring, {"later"}).status != Status::ok; ++i) {
    c.poll(got, 10);
    std::this_thread::sleep_for(1ms);
  }
  BOOST_REQUIRE(got.empty());
  auto after = drain(c, 1);
  BOOST_REQUIRE(after.size() == 1u);
  BOOST_TEST(after[0].second == "later");
  BOOST_TEST(ring.stats().abandoned == 1u);
  BOOST_TEST(ring.stats().depth_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(stalled_live_producer_loses_its_claim_and_is_told_so) {
  using Step = ez::logq::testing::EnqueueStep;
  for (Step step : {Step::claimed, Step::header_published, Step::payload_written}) {
    BOOST_TEST_CONTEXT("step " << static_cast<int>(step)) {
      TempRingName tn;
      auto opt = tn.options(100, 1 << 14);
      Ring ring = Ring::open(opt);
      pid_t kid = spawn_crashing_producer(opt, step, SIGSTOP, 2, 10);
      BOOST_REQUIRE(kid > 0);
      int st = 0;
      BOOST_REQUIRE(waitpid(kid, &st, WUNTRACED) == kid);
      BOOST_REQUIRE(WIFSTOPPED(st));
      BOOST_REQUIRE((put(ring, {"after"}).status == Status::ok));
      Consumer c(ring, fast_timeouts());
      auto got = drain(c, 1);  // waits out the stalled claim (stuck_timeout for a live pid)
      BOOST_REQUIRE(got.size() == 1u);
      BOOST_TEST(got[0].second == "after");
      kill(kid, SIGCONT);
      st = wait_exit(kid);
      BOOST_REQUIRE(WIFEXITED(st));
      BOOST_TEST(WEXITSTATUS(st) == 10);  // abandoned: the worker would answer 503
      std::vector<Consumer::Entry> more;
      c.poll(more, 10);
      BOOST_TEST(more.empty());
      BOOST_TEST(ring.stats().abandoned == 2u);
    }
  }
}

// Producers in a loop, SIGKILLed at random by the parent (and a few killing themselves
// mid-claim). Every entry whose producer saw `ok` is read exactly once; every entry whose
// producer saw anything else is never read; a producer killed before it could tell us
// had its whole record read once or not at all. The consumer never wedges.
BOOST_AUTO_TEST_CASE(random_sigkill_stress) {
  TempRingName tn;
  auto opt = tn.options(200, 1 << 14);
  Ring ring = Ring::open(opt);
  constexpr int kSlots = 40;
  constexpr int kPerSlot = 20000;
  enum : uint8_t { unknown = 0, ok = 1, refused = 2 };
  SharedArray<uint8_t> status(size_t{kSlots} * kPerSlot);
  SharedArray<std::atomic<int>> stop(1);
  stop[0].store(0);

  auto spawn = [&](int slot) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    Ring mine = Ring::open(opt);
    std::mt19937 rng(static_cast<unsigned>(slot * 7919 + getpid()));
    // Some die by their own hand inside enqueue, at a random step.
    const int die_after = rng() % 3 == 0 ? static_cast<int>(rng() % 3000) : -1;
    g_crash_step = static_cast<ez::logq::testing::EnqueueStep>(rng() % 3);
    g_crash_signal = SIGKILL;
    for (int i = 0; i < kPerSlot && !stop[0].load(); ++i) {
      if (i == die_after) ez::logq::testing::g_enqueue_hook = &crash_at_step;
      const int n = 1 + i % 3;
      std::vector<std::string> rec;
      for (int j = 0; j < n; ++j)
        rec.push_back(std::to_string(slot) + " " + std::to_string(i) + " " + std::to_string(j) +
                      " " + std::string(i % 61, 's'));
      auto r = put(mine, rec);
      status[static_cast<size_t>(slot) * kPerSlot + i] = r.status == Status::ok ? ok : refused;
      if (r.status == Status::full) std::this_thread::sleep_for(50us);
    }
    _exit(0);
  };

  ConsumerOptions copt = fast_timeouts();
  Consumer c(ring, copt);
  std::map<std::tuple<int, int, int>, int> seen;
  std::vector<Consumer::Entry> got;
  auto consume = [&] {
    got.clear();
    c.poll(got, 200);
    for (auto& e : got) {
      int k = -1, i = -1, j = -1;
      BOOST_REQUIRE(std::sscanf(std::string(e.data).c_str(), "%d %d %d", &k, &i, &j) == 3);
      ++seen[{k, i, j}];
    }
    if (!got.empty()) c.release(got.back().seq);
    return got.size();
  };

  std::mt19937 rng(12345);
  std::vector<std::pair<pid_t, int>> live;
  int next_slot = 0;
  for (; next_slot < 4; ++next_slot) live.emplace_back(spawn(next_slot), next_slot);
  const auto end = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < end) {
    consume();
    // Reap producers that finished or killed themselves; replace them.
    for (auto& [pid, slot] : live) {
      int st = 0;
      if (pid > 0 && waitpid(pid, &st, WNOHANG) == pid) {
        pid = next_slot < kSlots ? spawn(next_slot) : -1;
        slot = next_slot++;
      }
    }
    if (rng() % 20 == 0) {
      auto& [pid, slot] = live[rng() % live.size()];
      if (pid > 0) {
        kill(pid, SIGKILL);
        wait_exit(pid);  // reaped at once, so the consumer sees the pid gone
        pid = next_slot < kSlots ? spawn(next_slot) : -1;
        slot = next_slot++;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
  }
  stop[0].store(1);
  for (auto& [pid, slot] : live)
    if (pid > 0) wait_exit(pid);

  // Drain: must finish (no wedge) well within the bound.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (consume() == 0 && c.caught_up()) break;
    std::this_thread::sleep_for(1ms);
  }
  BOOST_REQUIRE(c.caught_up());
  consume();  // settles entry accounting once drained

  size_t ok_records = 0, unknown_read = 0, violations = 0;
  for (int slot = 0; slot < std::min(next_slot, kSlots); ++slot) {
    for (int i = 0; i < kPerSlot; ++i) {
      const int n = 1 + i % 3;
      int reads = 0;
      for (int j = 0; j < n; ++j) {
        auto it = seen.find({slot, i, j});
        const int cnt = it == seen.end() ? 0 : it->second;
        if (cnt > 1) ++violations;  // duplicate
        reads += cnt;
      }
      const uint8_t st = status[static_cast<size_t>(slot) * kPerSlot + i];
      if (st == ok) {
        ++ok_records;
        if (reads != n) ++violations;  // lost or partial
      } else if (st == refused) {
        if (reads != 0) ++violations;  // refused yet delivered
      } else if (reads != 0) {
        ++unknown_read;
        if (reads != n) ++violations;  // all or nothing
      }
    }
  }
  BOOST_TEST(violations == 0u);
  BOOST_TEST(ok_records > 100u);
  auto s = ring.stats();
  BOOST_TEST(s.consumed == seen.size());
  BOOST_TEST(s.depth_entries == 0u);
  BOOST_TEST(s.depth_bytes == 0u);
  BOOST_TEST_MESSAGE("stress: " << ok_records << " records ok, " << seen.size() << " entries read, "
                                << unknown_read
                                << " records of killed producers read, abandoned entries "
                                << s.abandoned << " in " << s.abandoned_records << " claims, "
                                << next_slot << " producers");
}

BOOST_AUTO_TEST_SUITE_END()
