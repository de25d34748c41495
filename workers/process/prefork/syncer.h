// The syncer: one child of the master, beside the workers, that runs the
// application's background task (for ezapi-server: the outbox replay). Workers cannot: they
// block in accept, and a timer there would fire only between requests. The
// replay also does the start-up resync when Redis is empty, so a fresh or
// wiped Redis converges without anyone calling /sync/snapshot.
#pragma once

#include <sys/types.h>

#include "config/config.h"

namespace ez::prefork {

class Application;
class Scoreboard;

// Forks the syncer; returns its pid in the master (or -1 when fork failed).
// `close_fds` are the master's descriptors the child must not keep.
// `scoreboard` (the master's, inherited) receives the syncer's push and resync counters;
// `app` runs in the child (Application::run_background).
[[nodiscard]] pid_t spawn_syncer(const config::Settings& settings, int close_fd_a, int close_fd_b,
                                 int close_fd_c = -1, Scoreboard* scoreboard = nullptr,
                                 Application* app = nullptr);

}  // namespace ez::prefork
