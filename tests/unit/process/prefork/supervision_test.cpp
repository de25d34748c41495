#include "prefork/supervision.h"

#include <sys/wait.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <vector>

using namespace ez::prefork;

namespace {

int exited(int code) {
  return W_EXITCODE(code, 0);
}
int signaled(int sig) {
  return W_EXITCODE(0, sig);
}

// A toy pool driven only by plan_pool(): each step applies the action, and workers
// started in one step are ready by the next; stopped ones are gone one step later.
struct ToyPool {
  int target;
  int old_running;
  int new_ready = 0;
  int new_starting = 0;
  int stopping = 0;
  int min_capacity = 1 << 30;  // lowest number of accepting workers seen

  PoolCounts counts() const {
    return {target, new_ready + new_starting, new_ready, old_running, stopping};
  }
  // Returns false when the plan is done (none with nothing in flight).
  bool step() {
    // What happened since the last step: started ones accept, stopped ones exited.
    new_ready += new_starting;
    new_starting = 0;
    stopping = 0;
    const PoolAction a = plan_pool(counts());
    switch (a) {
      case PoolAction::spawn:
        ++new_starting;
        break;
      case PoolAction::stop_old:
        --old_running;
        ++stopping;
        break;
      case PoolAction::stop_new:
        --new_ready;
        ++stopping;
        break;
      case PoolAction::none:
        break;
    }
    min_capacity = std::min(min_capacity, new_ready + old_running);
    return a != PoolAction::none || new_starting > 0 || stopping > 0;
  }
  void run() {
    for (int i = 0; i < 1000 && step();) ++i;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(prefork_supervision)

BOOST_AUTO_TEST_CASE(exit_classification) {
  // The master's intent comes first.
  BOOST_TEST((classify_exit(exited(0), true, false) == ExitKind::stopped));
  BOOST_TEST((classify_exit(signaled(SIGKILL), true, false) == ExitKind::stopped));
  BOOST_TEST((classify_exit(exited(kExitRecycled), true, false) == ExitKind::stopped));
  BOOST_TEST((classify_exit(signaled(SIGKILL), false, true) == ExitKind::timeout));
  BOOST_TEST((classify_exit(exited(kExitRecycled), false, false) == ExitKind::recycled));
  // Anything the master did not ask for is a crash, a clean exit included.
  BOOST_TEST((classify_exit(signaled(SIGSEGV), false, false) == ExitKind::crashed));
  BOOST_TEST((classify_exit(signaled(SIGKILL), false, false) == ExitKind::crashed));
  BOOST_TEST((classify_exit(exited(kExitFatal), false, false) == ExitKind::crashed));
  BOOST_TEST((classify_exit(exited(0), false, false) == ExitKind::crashed));
}

BOOST_AUTO_TEST_CASE(backoff_grows_only_for_quick_crashes) {
  // One crash is replaced at once; a loop backs off, doubling up to the cap.
  BOOST_TEST(respawn_delay(0).count() == 0);
  BOOST_TEST(respawn_delay(1).count() == 0);
  BOOST_TEST(respawn_delay(2).count() == 100);
  BOOST_TEST(respawn_delay(3).count() == 200);
  BOOST_TEST(respawn_delay(4).count() == 400);
  BOOST_TEST(respawn_delay(8).count() == 6400);
  BOOST_TEST(respawn_delay(9).count() == kBackoffMax.count());
  BOOST_TEST(respawn_delay(1000).count() == kBackoffMax.count());

  // A streak grows while workers die young and restarts after a healthy life.
  int streak = 0;
  streak = next_crash_streak(streak, milliseconds{5000});
  BOOST_TEST(streak == 1);
  streak = next_crash_streak(streak, milliseconds{10});
  BOOST_TEST(streak == 2);
  streak = next_crash_streak(streak, milliseconds{10});
  BOOST_TEST(streak == 3);
  streak = next_crash_streak(streak, kHealthyLifetime);
  BOOST_TEST(streak == 1);
}

BOOST_AUTO_TEST_CASE(timeout_decision) {
  const uint64_t ms = 1'000'000;
  BOOST_TEST(!request_timed_out(0, 100 * ms, 10 * ms));       // idle
  BOOST_TEST(!request_timed_out(50 * ms, 60 * ms, 10 * ms));  // exactly at the limit
  BOOST_TEST(request_timed_out(50 * ms, 60 * ms + 1, 10 * ms));
  BOOST_TEST(!request_timed_out(70 * ms, 60 * ms, 10 * ms));  // started after "now" was read
}

BOOST_AUTO_TEST_CASE(idle_worker_that_stays_away_from_accept_is_stuck) {
  const uint64_t ms = 1'000'000;
  const uint64_t floor = static_cast<uint64_t>(kIdleHeartbeatFloor.count()) * ms;
  // A worker that came back to accept recently is fine, whatever the timeout.
  BOOST_TEST(!idle_worker_stuck(1000 * ms, 1000 * ms + floor, 10 * ms));
  // Stuck past both the timeout and the floor (SIGSTOP, a half-sent request).
  BOOST_TEST(idle_worker_stuck(1000 * ms, 1000 * ms + floor + 1, 10 * ms));
  // A long timeout is honoured beyond the floor.
  BOOST_TEST(!idle_worker_stuck(1000 * ms, 1000 * ms + floor + 1, floor + 5 * ms));
  BOOST_TEST(idle_worker_stuck(1000 * ms, 1000 * ms + floor + 5 * ms + 1, floor + 5 * ms));
  // No heartbeat yet (a worker still starting) is never stuck.
  BOOST_TEST(!idle_worker_stuck(0, 1'000'000 * ms, 10 * ms));
}

BOOST_AUTO_TEST_CASE(startup_fills_the_pool_at_once) {
  PoolCounts c{4, 0, 0, 0, 0};
  int spawned = 0;
  while (plan_pool(c) == PoolAction::spawn && spawned < 10) {
    ++c.new_running;
    ++spawned;
  }
  BOOST_TEST(spawned == 4);
  BOOST_TEST((plan_pool(c) == PoolAction::none));
}

BOOST_AUTO_TEST_CASE(crash_replacement_without_roll) {
  BOOST_TEST((plan_pool({3, 2, 2, 0, 0}) == PoolAction::spawn));
  BOOST_TEST((plan_pool({3, 3, 2, 0, 0}) == PoolAction::none));
  BOOST_TEST((plan_pool({2, 3, 3, 0, 0}) == PoolAction::stop_new));
}

BOOST_AUTO_TEST_CASE(roll_same_size_keeps_capacity) {
  ToyPool p{2, 2};
  p.run();
  BOOST_TEST(p.old_running == 0);
  BOOST_TEST(p.new_ready == 2);
  BOOST_TEST(p.min_capacity >= 2);
}

BOOST_AUTO_TEST_CASE(roll_single_worker_never_drops_to_zero) {
  ToyPool p{1, 1};
  p.run();
  BOOST_TEST(p.old_running == 0);
  BOOST_TEST(p.new_ready == 1);
  BOOST_TEST(p.min_capacity >= 1);
}

BOOST_AUTO_TEST_CASE(roll_grow_and_shrink) {
  ToyPool grow{5, 2};
  grow.run();
  BOOST_TEST(grow.new_ready == 5);
  BOOST_TEST(grow.old_running == 0);
  BOOST_TEST(grow.min_capacity >= 2);

  ToyPool shrink{1, 4};
  shrink.run();
  BOOST_TEST(shrink.new_ready == 1);
  BOOST_TEST(shrink.old_running == 0);
  BOOST_TEST(shrink.min_capacity >= 1);
}

BOOST_AUTO_TEST_CASE(roll_waits_for_the_starting_and_the_stopping) {
  // A new worker is not accepting yet: do not stop an old one.
  BOOST_TEST((plan_pool({2, 1, 0, 2, 0}) == PoolAction::none));
  // An old one is still finishing its request: one at a time.
  BOOST_TEST((plan_pool({2, 1, 1, 1, 1}) == PoolAction::none));
  // Ready and surplus: stop an old one.
  BOOST_TEST((plan_pool({2, 1, 1, 2, 0}) == PoolAction::stop_old));
}

BOOST_AUTO_TEST_SUITE_END()
