#include "common/shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ez {

namespace {

[[noreturn]] void fail_errno(const std::string& call, const std::string& name) {
  const int err = errno;
  throw ShmError(call + " " + name + ": " + std::strerror(err), err);
}

struct stat stat_of(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail_errno("fstat", name);
  return st;
}

int open_flags(SharedMemory::Access access) {
  return (access == SharedMemory::Access::read_write ? O_RDWR : O_RDONLY) | O_CLOEXEC;
}

}  // namespace

SharedMemory::SharedMemory(std::string name, UniqueFd fd, Access access, uint64_t inode)
    : name_(std::move(name)), fd_(std::move(fd)), access_(access), inode_(inode) {}

std::optional<SharedMemory> SharedMemory::create_exclusive(const std::string& name, size_t size,
                                                           mode_t mode, Umask umask) {
  UniqueFd fd(::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode));
  if (!fd.valid()) {
    if (errno == EEXIST) return std::nullopt;
    fail_errno("shm_open", name);
  }
  try {
    if (umask == Umask::ignored && ::fchmod(fd.get(), mode) != 0) fail_errno("fchmod", name);
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) fail_errno("ftruncate", name);
    const struct stat st = stat_of(fd.get(), name);
    SharedMemory shm(name, std::move(fd), Access::read_write, static_cast<uint64_t>(st.st_ino));
    shm.map(size);
    return shm;
  } catch (...) {
    ::shm_unlink(name.c_str());
    throw;
  }
}

std::optional<SharedMemory> SharedMemory::open_existing(const std::string& name, Access access) {
  UniqueFd fd(::shm_open(name.c_str(), open_flags(access), 0));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::nullopt;
    fail_errno("shm_open", name);
  }
  const struct stat st = stat_of(fd.get(), name);
  return SharedMemory(name, std::move(fd), access, static_cast<uint64_t>(st.st_ino));
}

SharedMemory SharedMemory::attach(const std::string& name, Access access, size_t min_size) {
  std::optional<SharedMemory> shm = open_existing(name, access);
  if (!shm) {
    errno = ENOENT;
    fail_errno("shm_open", name);
  }
  shm->map(min_size);
  return std::move(*shm);
}

bool SharedMemory::unlink(const std::string& name) {
  return ::shm_unlink(name.c_str()) == 0;
}

SharedMemory::SharedMemory(SharedMemory&& other) noexcept
    : name_(std::move(other.name_)),
      fd_(std::move(other.fd_)),
      access_(other.access_),
      inode_(std::exchange(other.inode_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)) {}

SharedMemory& SharedMemory::operator=(SharedMemory&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, mapped_);
    name_ = std::move(other.name_);
    fd_ = std::move(other.fd_);
    access_ = other.access_;
    inode_ = std::exchange(other.inode_, 0);
    data_ = std::exchange(other.data_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

SharedMemory::~SharedMemory() {
  if (data_) ::munmap(data_, mapped_);
}

void SharedMemory::map(size_t len) {
  const size_t have = segment_size();
  if (len == 0 || have < len)
    throw ShmError(name_ + ": segment is " + std::to_string(have) + " bytes, needs at least " +
                       std::to_string(len),
                   0);
  const int prot = access_ == Access::read_write ? PROT_READ | PROT_WRITE : PROT_READ;
  void* p = ::mmap(nullptr, len, prot, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) fail_errno("mmap", name_);
  if (data_) ::munmap(data_, mapped_);
  data_ = p;
  mapped_ = len;
}

size_t SharedMemory::segment_size() const {
  return static_cast<size_t>(stat_of(fd_.get(), name_).st_size);
}

bool SharedMemory::unlink_if_current() const {
  UniqueFd fd(::shm_open(name_.c_str(), O_RDONLY | O_CLOEXEC, 0));
  if (!fd.valid()) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || static_cast<uint64_t>(st.st_ino) != inode_) return false;
  return ::shm_unlink(name_.c_str()) == 0;
}

}  // namespace ez
