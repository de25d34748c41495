// One FastCGI worker: the loop a forked child runs until it is told to stop or has
// served workers.max_requests requests.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "config/config.h"

namespace ez::logq {
class Ring;
}

namespace ez::prefork {

class Application;
class Scoreboard;

struct WorkerSpec {
  const config::Settings* settings = nullptr;  // copied into the worker's context::Context
  int listen_fd = -1;                          // inherited from the master
  Scoreboard* scoreboard = nullptr;            // inherited mapping
  int slot = -1;
  uint32_t generation = 0;
  logq::Ring* log_queue = nullptr;  // inherited mapping; null: POST /logs answers 503
  pid_t master_pid = 0;
  Application* app = nullptr;  // what the worker serves (cmd/ wires it)
};

// Runs in the forked child and returns its exit code (a WorkerExit from supervision.h).
// The caller must _exit() with it: returning into the master's stack frames would run
// the master's destructors (socket path, scoreboard) in the child.
[[nodiscard]] int run_worker(const WorkerSpec& spec);

}  // namespace ez::prefork
