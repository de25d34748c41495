// A minimal FastCGI client (responder role, one request per connection), for the cases
// that talk to a pool's unix socket directly to stop a request at a chosen point, which
// nginx (it sends whole requests) would never do.
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

namespace ez::it {

class FcgiClient {
 public:
  struct Result {
    bool complete = false;  // FCGI_END_REQUEST received
    std::string out;        // FCGI_STDOUT
    int status() const {
      const auto p = out.find("Status: ");
      return p == std::string::npos ? 0 : std::stoi(out.substr(p + 8, 3));
    }
    std::string body() const {
      const auto p = out.find("\r\n\r\n");
      return p == std::string::npos ? "" : out.substr(p + 4);
    }
  };

  explicit FcgiClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("cannot connect to " + path);
    timeval tv{20, 0};  // a test never waits forever
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  FcgiClient(const FcgiClient&) = delete;
  FcgiClient& operator=(const FcgiClient&) = delete;
  ~FcgiClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  void begin(const std::map<std::string, std::string>& params) {
    record(1, std::string("\0\1\0\0\0\0\0\0", 8));  // BEGIN_REQUEST, role responder
    std::string p;
    for (const auto& [k, v] : params) {
      length(p, k.size());
      length(p, v.size());
      p += k;
      p += v;
    }
    record(4, p);
    record(4, "");
  }
  // Only the first record of a request: what a client that stalls (or means harm) sends.
  void begin_record_only() { record(1, std::string("\0\1\0\0\0\0\0\0", 8)); }
  void body(const std::string& data) {
    for (size_t off = 0; off < data.size(); off += 32768) record(5, data.substr(off, 32768));
  }
  void end_body() { record(5, ""); }

  Result read_all() {
    std::string raw;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) break;
      raw.append(buf, static_cast<size_t>(n));
    }
    Result r;
    size_t i = 0;
    while (i + 8 <= raw.size()) {
      const auto type = static_cast<unsigned char>(raw[i + 1]);
      const size_t len =
          (static_cast<unsigned char>(raw[i + 4]) << 8) | static_cast<unsigned char>(raw[i + 5]);
      const size_t pad = static_cast<unsigned char>(raw[i + 6]);
      if (type == 6) r.out += raw.substr(i + 8, len);
      if (type == 3) r.complete = true;
      i += 8 + len + pad;
    }
    // Close like nginx does: libfcgi lingers up to 2 s for the peer to close first.
    ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  static void length(std::string& out, size_t n) {
    if (n < 128) {
      out += static_cast<char>(n);
    } else {
      const uint32_t be = htonl(static_cast<uint32_t>(n) | 0x80000000u);
      out.append(reinterpret_cast<const char*>(&be), 4);
    }
  }
  void record(unsigned char type, const std::string& content) {
    std::string r;
    r += '\1';
    r += static_cast<char>(type);
    r += '\0';
    r += '\1';  // request id 1
    r += static_cast<char>((content.size() >> 8) & 0xff);
    r += static_cast<char>(content.size() & 0xff);
    r += '\0';
    r += '\0';
    r += content;
    size_t off = 0;
    while (off < r.size()) {
      const ssize_t n = ::write(fd_, r.data() + off, r.size() - off);
      if (n <= 0) throw std::runtime_error("write to the FastCGI socket failed");
      off += static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
};

}  // namespace ez::it
