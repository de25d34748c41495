#include "common/pid_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace ez {

PidFile::PidFile(std::string path) : path_(std::move(path)), pid_(getpid()) {
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << pid_ << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write pid file " + tmp);
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0)
    throw std::runtime_error("cannot write pid file " + path_ + ": " + std::strerror(errno));
}

PidFile::~PidFile() {
  if (getpid() != pid_) return;  // a forked child unwinding: the file is the parent's
  std::ifstream in(path_);
  pid_t recorded = 0;
  if (in >> recorded && recorded == pid_) unlink(path_.c_str());
}

}  // namespace ez
