// The FastCGI listening socket the workers accept() on: a unix socket the master
// binds itself, or the one systemd hands over (ezapi.socket, LISTEN_FDS). Never TCP.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace ez::prefork {

class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Idle workers block in accept(); this timeout on the socket (SO_RCVTIMEO) wakes them
// so they notice a pending stop (see worker.cpp for why signals cannot do it).
inline constexpr std::chrono::milliseconds kAcceptWakeup{200};

class ListenSocket {
 public:
  // systemd's socket if LISTEN_FDS is set for this pid (the variables are then removed
  // from the environment, so workers do not see them); otherwise binds `path`: removes a
  // stale socket left by a dead master, refuses when another process still accepts on
  // it or when the path is not a socket, chmods to `mode`, listens with `backlog`.
  [[nodiscard]] static ListenSocket open(const std::string& path, int mode, int backlog);

  ListenSocket(ListenSocket&& other) noexcept;
  ListenSocket& operator=(ListenSocket&& other) = delete;
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;
  // Closes the fd and removes the path (see remove_path) in the process that opened it.
  ~ListenSocket();

  int fd() const { return fd_; }
  bool from_systemd() const { return from_systemd_; }
  const std::string& path() const { return path_; }
  // A short description for logs: "unix:/run/ezapi/ezapi.sock (systemd)".
  [[nodiscard]] std::string describe() const;

  // Removes the socket path if we bound it and it is still ours (a newer master may
  // have bound the same path meanwhile). At shutdown this makes new connects fail at
  // once instead of waiting in a backlog that nobody will accept. Idempotent.
  void remove_path();

 private:
  ListenSocket() = default;

  int fd_ = -1;
  bool from_systemd_ = false;
  std::string path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  pid_t owner_pid_ = 0;
  bool path_removed_ = false;
};

// Sets SO_RCVTIMEO on a listening socket (accept() then fails with EAGAIN after it).
void set_accept_timeout(int fd, std::chrono::milliseconds timeout);

}  // namespace ez::prefork
