// A POSIX shared-memory segment, opened and mapped, unmapped and closed on scope exit (the
// prefork scoreboard and the log queue). It knows nothing of what is inside: the callers own
// their layouts, their identity checks and the decision what to do with a segment that
// already exists (replace it when stale, wait for its creator, refuse it).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/fd.h"

namespace ez {

// A failed shm_open/ftruncate/fstat/mmap (the message names the call, the segment and
// errno's text), or a segment too small for what the caller maps.
class ShmError : public std::runtime_error {
 public:
  ShmError(const std::string& message, int sys_errno)
      : std::runtime_error(message), sys_errno_(sys_errno) {}
  // errno of the failed call; 0 when no call failed (a segment too small).
  [[nodiscard]] int sys_errno() const { return sys_errno_; }

 private:
  int sys_errno_;
};

class SharedMemory {
 public:
  enum class Access { read_only, read_write };
  // Whether the process umask may narrow the creation mode.
  enum class Umask { applies, ignored };

  // Creates `name` exclusively (O_EXCL) with permissions `mode`, sizes it to `size` zero
  // bytes and maps all of it read-write. nullopt when the name exists already: the caller
  // decides between attaching and replacing. Any other failure throws ShmError, after
  // removing the name this call created (nobody can have used it yet).
  [[nodiscard]] static std::optional<SharedMemory> create_exclusive(const std::string& name,
                                                                    size_t size, mode_t mode,
                                                                    Umask umask);
  // Opens an existing segment without mapping it (map() does): its creator may still be
  // sizing it. nullopt when the name does not exist; other failures throw ShmError.
  [[nodiscard]] static std::optional<SharedMemory> open_existing(const std::string& name,
                                                                 Access access);
  // Opens an existing segment and maps its first `min_size` bytes. Throws ShmError when the
  // name does not exist or the segment is smaller than min_size.
  [[nodiscard]] static SharedMemory attach(const std::string& name, Access access, size_t min_size);
  // Removes the name (the memory lives on while mapped). False if it did not exist.
  static bool unlink(const std::string& name);

  SharedMemory(SharedMemory&& other) noexcept;
  SharedMemory& operator=(SharedMemory&& other) noexcept;
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;
  ~SharedMemory();

  // Maps the first `len` bytes (> 0), replacing an earlier mapping of this object (pointers
  // into that one become invalid). Throws ShmError if the segment is smaller than len: a
  // mapping past the end would fault on first access instead of failing here.
  void map(size_t len);
  // The segment's current size in bytes (fstat). Throws ShmError.
  [[nodiscard]] size_t segment_size() const;
  // Removes the name only if it still refers to this segment, not to one that replaced it
  // since (a restarted owner). False if it did not (or the name is gone).
  bool unlink_if_current() const;

  [[nodiscard]] void* data() const { return data_; }  // nullptr before map()
  [[nodiscard]] size_t mapped_size() const { return mapped_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  // The open descriptor (flock, fstat); owned by this object.
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  SharedMemory(std::string name, UniqueFd fd, Access access, uint64_t inode);

  std::string name_;
  UniqueFd fd_;
  Access access_ = Access::read_only;
  uint64_t inode_ = 0;  // tells this segment from a later one under the same name
  void* data_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace ez
