#include "prefork/listen_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/log.h"

namespace ez::prefork {

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    throw ListenError("fastcgi.socket: '" + path + "' is not a usable unix socket path");
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// True if some process accepts connections on the socket at `path`.
bool someone_listening(const sockaddr_un& addr) {
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return false;
  const bool alive = connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(probe);
  return alive;
}

// The sockets systemd passed (socket activation), collected once: sd_listen_fds(1) also
// clears LISTEN_PID/LISTEN_FDS, so the workers (and anything they might exec) do not think
// the fds are theirs, and a second call would see none.
struct SystemdFd {
  int fd = -1;
  std::string path;
  bool taken = false;
};

std::vector<SystemdFd>& systemd_fds() {
  static std::vector<SystemdFd> fds = [] {
    const int n = sd_listen_fds(1);
    if (n < 0) throw ListenError(std::string("sd_listen_fds: ") + std::strerror(-n));
    std::vector<SystemdFd> out;
    for (int i = 0; i < n; ++i) {
      SystemdFd f;
      f.fd = SD_LISTEN_FDS_START + i;
      sockaddr_un addr{};
      socklen_t len = sizeof addr;
      if (getsockname(f.fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.sun_path[0])
        f.path = addr.sun_path;
      out.push_back(std::move(f));
    }
    return out;
  }();
  return fds;
}

}  // namespace

void set_accept_timeout(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0)
    throw ListenError(errno_text("setsockopt(SO_RCVTIMEO)"));
}

ListenSocket ListenSocket::open(const std::string& path, int mode, int backlog) {
  ListenSocket s;
  s.owner_pid_ = getpid();

  // Socket activation. One socket per pool: each takes the one bound to its own path; when
  // systemd passed a single socket that matches no path, the first pool opened (admin)
  // takes it, as the one pool did before there were several.
  auto& fds = systemd_fds();
  SystemdFd* pick = nullptr;
  for (auto& f : fds)
    if (!f.taken && f.path == path) pick = &f;
  if (!pick && fds.size() == 1 && !fds[0].taken) pick = &fds[0];
  if (pick) {
    const int fd = pick->fd;
    // The master never serves TCP: only nginx is on the network.
    if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0)
      throw ListenError("the socket passed by systemd is not a listening unix stream socket");
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    pick->taken = true;
    s.fd_ = fd;
    s.from_systemd_ = true;
    s.path_ = pick->path;
    set_accept_timeout(fd, kAcceptWakeup);
    return s;
  }
  if (!fds.empty()) log::warn("systemd passed no socket bound to " + path + "; binding it here");

  const sockaddr_un addr = unix_address(path);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      throw ListenError("fastcgi.socket: '" + path + "' exists and is not a socket");
    if (someone_listening(addr))
      throw ListenError("fastcgi.socket: another process is accepting on '" + path + "'");
    // A dead master's leftover: nobody accepts on it, so it is safe to replace.
    log::info("removing stale socket " + path);
    unlink(path.c_str());
  }

  s.fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s.fd_ < 0) throw ListenError(errno_text("socket"));
  // bind() creates the file with the umask applied; narrow it so the socket is never
  // briefly more accessible than `mode`, then chmod to exactly `mode`.
  const mode_t old_mask = umask(static_cast<mode_t>(0777 & ~mode));
  const int rc = bind(s.fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  umask(old_mask);
  if (rc != 0) throw ListenError(errno_text("bind " + path));
  s.path_ = path;
  if (stat(path.c_str(), &st) == 0) {
    s.dev_ = st.st_dev;
    s.ino_ = st.st_ino;
  }
  if (chmod(path.c_str(), static_cast<mode_t>(mode)) != 0)
    throw ListenError(errno_text("chmod " + path));
  if (listen(s.fd_, backlog) != 0) throw ListenError(errno_text("listen " + path));
  set_accept_timeout(s.fd_, kAcceptWakeup);
  return s;
}

ListenSocket::ListenSocket(ListenSocket&& o) noexcept
    : fd_(o.fd_),
      from_systemd_(o.from_systemd_),
      path_(std::move(o.path_)),
      dev_(o.dev_),
      ino_(o.ino_),
      owner_pid_(o.owner_pid_),
      path_removed_(o.path_removed_) {
  o.fd_ = -1;
  o.path_removed_ = true;
}

ListenSocket::~ListenSocket() {
  if (getpid() != owner_pid_) return;  // a forked worker: the master cleans up
  remove_path();
  if (fd_ >= 0) close(fd_);
}

void ListenSocket::remove_path() {
  if (path_removed_ || from_systemd_ || path_.empty() || getpid() != owner_pid_) return;
  path_removed_ = true;
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_)
    unlink(path_.c_str());
}

std::string ListenSocket::describe() const {
  return "unix:" + (path_.empty() ? std::string("(unnamed)") : path_) +
         (from_systemd_ ? " (systemd)" : "");
}

}  // namespace ez::prefork
