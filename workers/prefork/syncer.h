// The syncer: one child of the master, beside the workers, that runs the
// background outbox replay (snapshot::run_replay_loop). Workers cannot: they
// block in accept, and a timer there would fire only between requests. The
// replay also does the start-up resync when Redis is empty, so a fresh or
// wiped Redis converges without anyone calling /sync/snapshot.
#pragma once

#include <sys/types.h>

#include "config/config.h"

namespace ez::prefork {

class Scoreboard;

// Forks the syncer; returns its pid in the master (or -1 when fork failed).
// `close_fds` are the master's descriptors the child must not keep.
// `scoreboard` (the master's, inherited) receives the syncer's push and resync counters.
[[nodiscard]] pid_t spawn_syncer(const config::Settings& settings, int close_fd_a, int close_fd_b,
                                 int close_fd_c = -1, Scoreboard* scoreboard = nullptr);

}  // namespace ez::prefork
