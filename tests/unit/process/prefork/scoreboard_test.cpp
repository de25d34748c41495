#include "prefork/scoreboard.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <csignal>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

using namespace ez::prefork;

namespace ez::prefork {
// For BOOST_TEST's failure messages.
std::ostream& operator<<(std::ostream& os, WorkerState s) {
  return os << state_name(s);
}
}  // namespace ez::prefork

namespace {

// A name no other test run (or stack) uses.
std::string unique_name(const char* what) {
  static int n = 0;
  return "/ezapi-unit-" + std::to_string(getpid()) + "-" + what + "-" + std::to_string(++n);
}

bool shm_exists(const std::string& name) {
  int fd = shm_open(name.c_str(), O_RDONLY, 0);
  if (fd < 0) return false;
  close(fd);
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prefork_scoreboard)

BOOST_AUTO_TEST_CASE(create_attach_and_unlink_on_destruction) {
  const std::string name = unique_name("life");
  {
    Scoreboard sb = Scoreboard::create(name);
    sb.set_master(4242, 1'700'000'000);
    sb.set_pool(3, 7, 500, 30000);
    BOOST_TEST(shm_exists(name));

    Scoreboard reader = Scoreboard::attach(name);
    const GlobalView g = reader.global();
    BOOST_TEST(g.master_pid == 4242);
    BOOST_TEST(g.start_unix == 1'700'000'000);
    BOOST_TEST(g.workers_configured == 3u);
    BOOST_TEST(g.generation == 7u);
    BOOST_TEST(g.max_requests == 500);
    BOOST_TEST(g.request_timeout_ms == 30000);
    // The reader does not own the name: destroying it must not remove the segment.
  }
  BOOST_TEST(!shm_exists(name));
}

// Workers and the syncer report when they made Redis current; a slower store of an
// older time must not move the last push back.
BOOST_AUTO_TEST_CASE(redis_current_keeps_the_latest_time) {
  Scoreboard sb = Scoreboard::create(unique_name("push"));
  BOOST_TEST(sb.global().redis_current_mono_ns == 0u);
  sb.record_redis_current(5'000);
  sb.record_redis_current(3'000);
  BOOST_TEST(sb.global().redis_current_mono_ns == 5'000u);
  sb.record_redis_current(7'000);
  BOOST_TEST(sb.global().redis_current_mono_ns == 7'000u);
}

BOOST_AUTO_TEST_CASE(create_replaces_a_stale_segment) {
  const std::string name = unique_name("stale");
  int fd = shm_open(name.c_str(), O_CREAT | O_RDWR, 0600);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(ftruncate(fd, 16) == 0);  // garbage of the wrong size
  close(fd);
  BOOST_CHECK_THROW((void)Scoreboard::attach(name), std::runtime_error);
  {
    Scoreboard sb = Scoreboard::create(name);
    BOOST_TEST(Scoreboard::attach(name).global().master_pid == 0);
  }
  BOOST_TEST(!shm_exists(name));
}

BOOST_AUTO_TEST_CASE(destruction_keeps_a_newer_segment_under_the_same_name) {
  const std::string name = unique_name("newer");
  auto old_board = std::make_unique<Scoreboard>(Scoreboard::create(name));
  Scoreboard newer = Scoreboard::create(name);  // a restarted master replaced the name
  newer.set_master(99, 1);
  old_board.reset();
  BOOST_TEST(shm_exists(name));
  BOOST_TEST(Scoreboard::attach(name).global().master_pid == 99);
}

BOOST_AUTO_TEST_CASE(create_refuses_a_segment_of_a_live_master) {
  const std::string name = unique_name("live");
  Scoreboard running = Scoreboard::create(name);
  // A live process running the same program stands in for the other master.
  const pid_t other = fork();
  BOOST_REQUIRE(other >= 0);
  if (other == 0) {
    pause();
    _exit(0);
  }
  running.set_master(other, 1);
  BOOST_CHECK_THROW((void)Scoreboard::create(name), std::runtime_error);
  kill(other, SIGKILL);
  waitpid(other, nullptr, 0);
  // Once that master is gone its segment is stale and may be replaced.
  Scoreboard replacement = Scoreboard::create(name);
  BOOST_TEST(replacement.global().master_pid == 0);
}

BOOST_AUTO_TEST_CASE(created_0640_and_narrowed_by_the_umask) {
  // Unlike the log queue (0660 whatever the umask), the scoreboard keeps the umask's say.
  for (const auto& [mask, want] : {std::pair<mode_t, mode_t>{022, 0640}, {077, 0600}}) {
    const std::string name = unique_name("mode");
    const mode_t old = umask(mask);
    std::optional<Scoreboard> sb;
    try {
      sb.emplace(Scoreboard::create(name));
    } catch (...) {
      umask(old);
      throw;
    }
    umask(old);
    struct stat st {};
    BOOST_REQUIRE(stat(("/dev/shm" + name).c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == want);
  }
}

BOOST_AUTO_TEST_CASE(slot_claim_and_release) {
  Scoreboard sb = Scoreboard::create(unique_name("slots"));
  BOOST_TEST(sb.claim_slot(1) == 0);
  BOOST_TEST(sb.claim_slot(1) == 1);
  BOOST_TEST(sb.claim_slot(1) == 2);
  BOOST_TEST(sb.active_slots().size() == 3u);
  BOOST_TEST(sb.slot(1).state == WorkerState::starting);

  sb.release_slot(1);
  BOOST_TEST(sb.slot(1).state == WorkerState::free);
  BOOST_TEST(sb.active_slots().size() == 2u);
  BOOST_TEST(sb.claim_slot(2) == 1);  // lowest free slot is reused
  BOOST_TEST(sb.slot(1).generation == 2u);

  // A preferred slot is taken when free; otherwise the lowest free one.
  BOOST_TEST(sb.claim_slot(1, 10) == 10);
  BOOST_TEST(sb.claim_slot(1, 10) == 3);

  // A replacement carries the slot's restart count over, a fresh claim resets it.
  sb.release_slot(10);
  BOOST_TEST(sb.claim_slot(1, 10, true) == 10);
  BOOST_TEST(sb.slot(10).restarts == 1u);
  sb.release_slot(10);
  BOOST_TEST(sb.claim_slot(1, 10, true) == 10);
  BOOST_TEST(sb.slot(10).restarts == 2u);
  sb.release_slot(10);
  BOOST_TEST(sb.claim_slot(1, 10, false) == 10);
  BOOST_TEST(sb.slot(10).restarts == 0u);

  sb.set_slot_pid(10, 1234);
  BOOST_TEST(sb.slot(10).pid == 1234);
}

BOOST_AUTO_TEST_CASE(a_full_board_refuses_a_claim) {
  Scoreboard sb = Scoreboard::create(unique_name("full"));
  for (int i = 0; i < kMaxWorkers; ++i) BOOST_REQUIRE(sb.claim_slot(1) == i);
  BOOST_TEST(sb.claim_slot(1) == -1);
  sb.release_slot(77);
  BOOST_TEST(sb.claim_slot(1) == 77);
}

BOOST_AUTO_TEST_CASE(request_lifecycle_and_counters) {
  Scoreboard sb = Scoreboard::create(unique_name("req"));
  BOOST_REQUIRE(
      sb.set_routes({{"GET", "/healthz"}, {"GET", "/providers/{id}"}, {"PUT", "/providers/{id}"}}));
  BOOST_TEST(sb.route_index("GET", "/healthz") == 0);
  BOOST_TEST(sb.route_index("PUT", "/providers/{id}") == 2);
  BOOST_TEST(sb.route_index("DELETE", "/providers/{id}") == sb.unmatched_route());
  BOOST_TEST(sb.unmatched_route() == 3);

  const int slot = sb.claim_slot(1);
  sb.worker_ready(slot, 555);
  BOOST_TEST(sb.slot(slot).state == WorkerState::idle);
  BOOST_TEST(sb.slot(slot).pid == 555);

  sb.begin_request(slot, "GET", 1000);
  SlotView v = sb.slot(slot);
  BOOST_TEST(v.state == WorkerState::busy);
  BOOST_TEST(v.request_start_ns == 1000u);
  BOOST_TEST(v.method == "GET");
  BOOST_TEST(v.route == "");
  sb.set_route(slot, "GET", "/providers/{id}");
  BOOST_TEST(sb.slot(slot).route == "/providers/{id}");

  sb.end_request(slot, 1, 200, 3'000'000);  // 3 ms
  v = sb.slot(slot);
  BOOST_TEST(v.state == WorkerState::idle);
  BOOST_TEST(v.request_start_ns == 0u);
  BOOST_TEST(v.requests == 1u);
  BOOST_TEST(v.last_status == 200u);
  BOOST_TEST(v.last_duration_ns == 3'000'000u);
  BOOST_TEST(v.route == "/providers/{id}");  // the last request stays visible

  sb.begin_request(slot, "GET", 2000);
  sb.end_request(slot, 1, 404, 20'000'000'000ULL);  // 20 s: the +Inf bucket
  sb.begin_request(slot, "GET", 3000);
  sb.end_request(slot, sb.unmatched_route(), 418, 1);

  const GlobalView g = sb.global();
  BOOST_TEST(g.accepted == 3u);

  const auto routes = sb.route_counts();
  BOOST_REQUIRE(routes.size() == 2u);  // only routes that served something
  BOOST_TEST(routes[0].route == "/providers/{id}");
  BOOST_TEST(routes[0].method == "GET");
  BOOST_TEST(routes[0].count == 2u);
  BOOST_TEST(routes[0].by_status[static_cast<size_t>(status_index(200))] == 1u);
  BOOST_TEST(routes[0].by_status[static_cast<size_t>(status_index(404))] == 1u);
  BOOST_TEST(routes[0].buckets[static_cast<size_t>(latency_bucket(3'000'000))] == 1u);
  BOOST_TEST(routes[0].buckets[kLatencySlots - 1] == 1u);
  BOOST_TEST(routes[0].sum_ns == 20'003'000'000ULL);
  BOOST_TEST(routes[1].route == "unmatched");
  BOOST_TEST(routes[1].by_status[kStatusSlots - 1] == 1u);  // 418 is "other"
}

BOOST_AUTO_TEST_CASE(heartbeat_is_fresh_whenever_a_worker_turns_idle) {
  Scoreboard sb = Scoreboard::create(unique_name("hb"));
  const int slot = sb.claim_slot(1);
  BOOST_TEST(sb.slot(slot).heartbeat_ns == 0u);  // starting: not judged by the heartbeat
  const uint64_t before = ez::monotonic_ns();
  sb.worker_ready(slot, 777);
  BOOST_TEST(sb.slot(slot).heartbeat_ns >= before);
  sb.heartbeat(slot, 42);
  BOOST_TEST(sb.slot(slot).heartbeat_ns == 42u);
  // A long request must not leave the old heartbeat behind once the slot is idle.
  sb.begin_request(slot, "GET", 50);
  const uint64_t ended = ez::monotonic_ns();
  sb.end_request(slot, sb.unmatched_route(), 200, 1);
  BOOST_TEST(sb.slot(slot).heartbeat_ns >= ended);
}

BOOST_AUTO_TEST_CASE(draining_flag) {
  Scoreboard sb = Scoreboard::create(unique_name("drain"));
  BOOST_TEST(!sb.draining());
  sb.set_draining();
  BOOST_TEST(sb.draining());
  BOOST_TEST(Scoreboard::attach(sb.name()).draining());
  BOOST_TEST(sb.draining(Pool::admin));
  BOOST_TEST(sb.draining(Pool::ingest));
}

// A pool whose socket systemd holds must not drain (its queue outlives the master, so its
// workers would never run out of queued connections): the flag is per pool.
BOOST_AUTO_TEST_CASE(draining_is_per_pool) {
  Scoreboard sb = Scoreboard::create(unique_name("drainp"));
  sb.set_draining(Pool::ingest);
  BOOST_TEST(sb.draining(Pool::ingest));
  BOOST_TEST(!sb.draining(Pool::admin));
  BOOST_TEST(Scoreboard::attach(sb.name()).draining(Pool::ingest));
  sb.set_draining(Pool::admin);
  BOOST_TEST(sb.draining(Pool::admin));
  BOOST_TEST(sb.draining(Pool::ingest));
}

BOOST_AUTO_TEST_CASE(long_text_is_truncated_not_overflowed) {
  Scoreboard sb = Scoreboard::create(unique_name("trunc"));
  const int slot = sb.claim_slot(1);
  const std::string long_route(300, 'r');
  sb.begin_request(slot, "SUPERLONGMETHOD", 1);
  sb.set_route(slot, "SUPERLONGMETHOD", long_route);
  const SlotView v = sb.slot(slot);
  BOOST_TEST(v.method == std::string("SUPERLONGMETHOD").substr(0, kMethodChars));
  BOOST_TEST(v.route == long_route.substr(0, kRouteChars));
}

BOOST_AUTO_TEST_CASE(restart_counters) {
  Scoreboard sb = Scoreboard::create(unique_name("restarts"));
  sb.count_restart(RestartReason::crash);
  sb.count_restart(RestartReason::crash);
  sb.count_restart(RestartReason::recycle);
  const GlobalView g = sb.global();
  BOOST_TEST(g.restarts[static_cast<size_t>(RestartReason::crash)] == 2u);
  BOOST_TEST(g.restarts[static_cast<size_t>(RestartReason::timeout)] == 0u);
  BOOST_TEST(g.restarts_total() == 3u);
}

// Traffic-class pools: each slot knows its pool, each pool its settings and restarts; the
// global figures stay the totals.
BOOST_AUTO_TEST_CASE(pools_are_recorded_per_slot_and_per_pool) {
  Scoreboard sb = Scoreboard::create(unique_name("pools"));
  sb.set_pool(4, 1, 500, 30000);
  sb.set_pool_config(Pool::admin, 3, 500, 30000);
  sb.set_pool_config(Pool::ingest, 1, 500, 5000);
  const int a = sb.claim_slot(1);  // admin by default
  const int i = sb.claim_slot(1, -1, false, Pool::ingest);
  BOOST_TEST((sb.slot(a).pool == Pool::admin));
  BOOST_TEST((sb.slot(i).pool == Pool::ingest));
  sb.count_restart(RestartReason::crash, Pool::ingest);
  sb.count_restart(RestartReason::timeout, Pool::ingest);
  sb.count_restart(RestartReason::recycle);
  const GlobalView g = sb.global();
  BOOST_TEST(g.restarts_total() == 3u);
  const PoolView& ad = g.pools[static_cast<size_t>(Pool::admin)];
  const PoolView& in = g.pools[static_cast<size_t>(Pool::ingest)];
  BOOST_TEST(ad.workers_configured == 3u);
  BOOST_TEST(in.workers_configured == 1u);
  BOOST_TEST(in.request_timeout_ms == 5000);
  BOOST_TEST(ad.restarts[static_cast<size_t>(RestartReason::recycle)] == 1u);
  BOOST_TEST(ad.restarts[static_cast<size_t>(RestartReason::crash)] == 0u);
  BOOST_TEST(in.restarts[static_cast<size_t>(RestartReason::crash)] == 1u);
  BOOST_TEST(in.restarts[static_cast<size_t>(RestartReason::timeout)] == 1u);
  // A reused slot takes the pool of its new claim.
  sb.release_slot(i);
  BOOST_TEST(sb.claim_slot(2, i, true, Pool::admin) == i);
  BOOST_TEST((sb.slot(i).pool == Pool::admin));
  BOOST_TEST(pool_name(Pool::ingest) == "ingest");
}

BOOST_AUTO_TEST_CASE(a_forked_writer_is_seen_and_its_death_locks_nothing) {
  Scoreboard sb = Scoreboard::create(unique_name("fork"));
  BOOST_REQUIRE(sb.set_routes({{"GET", "/healthz"}}));
  const int slot = sb.claim_slot(1);
  const pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    // Like a worker SIGKILLed in the middle of a request.
    sb.worker_ready(slot, getpid());
    sb.begin_request(slot, "GET", ez::monotonic_ns());
    sb.set_route(slot, "GET", "/healthz");
    sb.end_request(slot, 0, 200, 1000);
    sb.begin_request(slot, "POST", ez::monotonic_ns());
    _exit(0);
  }
  int status = 0;
  BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
  const SlotView v = sb.slot(slot);
  BOOST_TEST(v.pid == pid);
  BOOST_TEST(v.state == WorkerState::busy);
  BOOST_TEST(v.method == "POST");
  BOOST_TEST(v.requests == 1u);
  BOOST_TEST(sb.route_counts().at(0).count == 1u);
  // The master can still release and reuse the slot.
  sb.release_slot(slot);
  BOOST_TEST(sb.claim_slot(2, slot, true) == slot);
}

BOOST_AUTO_TEST_CASE(status_and_latency_indexes) {
  BOOST_TEST(status_index(200) == 0);
  BOOST_TEST(status_label(status_index(503)) == "503");
  BOOST_TEST(status_index(299) == kStatusSlots - 1);
  BOOST_TEST(status_label(kStatusSlots - 1) == "other");
  BOOST_TEST(latency_bucket(0) == 0);
  BOOST_TEST(latency_bucket(500'000) == 0);  // bounds are inclusive (le)
  BOOST_TEST(latency_bucket(500'001) == 1);
  BOOST_TEST(latency_bucket(10'000'000'000ULL) == kLatencySlots - 2);
  BOOST_TEST(latency_bucket(10'000'000'001ULL) == kLatencySlots - 1);
  BOOST_TEST(state_name(WorkerState::busy) == "busy");
  BOOST_TEST(reason_name(RestartReason::recycle) == "recycle");
}

// The bound on exports and per-caller searches: counted across the slots of every process,
// never exceeded, and freed by the end of the request or the loss of the worker.
BOOST_AUTO_TEST_CASE(gates_admit_up_to_their_limit_across_slots) {
  Scoreboard sb = Scoreboard::create(unique_name("gates"));
  const int a = sb.claim_slot(1), b = sb.claim_slot(1), c = sb.claim_slot(1);
  for (int s : {a, b, c}) sb.worker_ready(s, getpid());
  BOOST_TEST(sb.enter_gate(a, 42, 1));
  BOOST_TEST(!sb.enter_gate(b, 42, 1));  // the one place is a's
  BOOST_TEST(sb.enter_gate(b, 7, 1));    // another gate has its own places
  BOOST_TEST(sb.enter_gate(c, 42, 2));   // a limit of 2 admits a second holder
  sb.leave_gate(a);
  BOOST_TEST(sb.enter_gate(a, 42, 2));
  BOOST_TEST(!sb.enter_gate(a, 42, 1));  // a refused slot holds nothing afterwards
  BOOST_TEST(sb.enter_gate(a, 7, 2));

  // The end of a request leaves the gate, whatever the handler did.
  sb.begin_request(c, "GET", 1);
  sb.end_request(c, -1, 200, 10);
  BOOST_TEST(sb.enter_gate(a, 42, 1));

  // A worker that died in its request: the master reclaims the slot, the place is free.
  BOOST_TEST(!sb.enter_gate(b, 42, 1));
  sb.release_slot(a);
  BOOST_TEST(sb.enter_gate(b, 42, 1));
  // Gate 0 is "none": always admitted, never counted.
  BOOST_TEST(sb.enter_gate(c, 0, 1));
}

BOOST_AUTO_TEST_SUITE_END()
