// The benchmark baseline: the least a libfcgi responder can do behind the same nginx.
// It reads the request body (as POST /logs must) and answers 202 {"accepted":1}, from
// N prefork workers on one unix socket, exactly like ezapi-server's workers accept.
//
//   trivial_responder SOCKET_PATH [WORKERS=2] [linger|close]
//
// linger (default): libfcgi's own close (shutdown, then wait for nginx to close its end).
// close: FCGX_Detach before FCGX_Finish_r, a plain close(), as ezapi-server's workers do;
// the benchmarks measure against both so the gain of that one change is visible apart.
//
// Runs until SIGTERM/SIGINT (then stops its workers). Used by tests/bench/logs.sh.
#include <fcgiapp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
extern "C" void on_signal(int) {
  g_stop = 1;
}

[[noreturn]] void serve(int listen_fd, bool plain_close) {
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  FCGX_Request req;
  FCGX_InitRequest(&req, listen_fd, 0);
  char buf[16384];
  while (FCGX_Accept_r(&req) >= 0) {
    while (FCGX_GetStr(buf, sizeof buf, req.in) > 0) {
    }
    static const char kReply[] =
        "Status: 202 Accepted\r\nContent-Type: application/json\r\n\r\n{\"accepted\":1}";
    FCGX_PutStr(kReply, sizeof kReply - 1, req.out);
    if (plain_close) (void)FCGX_Detach(&req);
    FCGX_Finish_r(&req);
  }
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SOCKET_PATH [WORKERS=2] [linger|close]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int workers = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
  const bool plain_close = argc > 3 && std::string(argv[3]) == "close";
  if (FCGX_Init() != 0) return 1;
  ::unlink(path.c_str());
  const int fd = FCGX_OpenSocket(path.c_str(), 1024);
  if (fd < 0) {
    std::perror("FCGX_OpenSocket");
    return 1;
  }
  ::chmod(path.c_str(), 0666);  // nginx's worker user must reach it

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::vector<pid_t> kids;
  for (int i = 0; i < workers; ++i) {
    const pid_t pid = fork();
    if (pid == 0) serve(fd, plain_close);
    if (pid > 0) kids.push_back(pid);
  }
  while (!g_stop) pause();
  for (pid_t k : kids) kill(k, SIGTERM);
  for (pid_t k : kids) waitpid(k, nullptr, 0);
  ::unlink(path.c_str());
  return 0;
}
