// --pid-file of ezapi-server and ezapi-flusher, once: written atomically (temp + rename)
// so a reader never sees a half-written pid, removed at exit only if it still names this
// process (a successor may have replaced it), and never by a forked child.
#pragma once

#include <sys/types.h>

#include <string>

namespace ez {

class PidFile {
 public:
  // Throws std::runtime_error naming the path when it cannot be written.
  explicit PidFile(std::string path);
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile();

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  pid_t pid_;
};

}  // namespace ez
