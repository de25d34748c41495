// Tests for workers/base/common/shm.*: the one shared-memory segment type under the
// prefork scoreboard and the log queue.
#include "common/shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

using ez::SharedMemory;
using ez::ShmError;

namespace {

// A name no other test run uses, removed whatever the test left behind.
struct TempName {
  std::string name;
  TempName() {
    static int n = 0;
    name = "/ezapi-unit-shm-" + std::to_string(getpid()) + "-" + std::to_string(++n);
  }
  ~TempName() { shm_unlink(name.c_str()); }
  TempName(const TempName&) = delete;
  TempName& operator=(const TempName&) = delete;
};

bool exists(const std::string& name) {
  struct stat st {};
  return stat(("/dev/shm" + name).c_str(), &st) == 0;
}

// How many mappings of /dev/shm<name> this process holds.
int mappings_of(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(maps, line);)
    if (line.find("/dev/shm" + name) != std::string::npos) ++n;
  return n;
}

bool fd_open(int fd) {
  return fcntl(fd, F_GETFD) != -1;
}

SharedMemory create(const std::string& name, size_t size) {
  std::optional<SharedMemory> shm =
      SharedMemory::create_exclusive(name, size, 0600, SharedMemory::Umask::applies);
  BOOST_REQUIRE(shm.has_value());
  return std::move(*shm);
}

unsigned char* bytes(const SharedMemory& shm) {
  return static_cast<unsigned char*>(shm.data());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(base_shm)

BOOST_AUTO_TEST_CASE(create_maps_zeroed_memory_and_refuses_an_existing_name) {
  TempName tn;
  SharedMemory shm = create(tn.name, 8192);
  BOOST_TEST(shm.name() == tn.name);
  BOOST_TEST(shm.mapped_size() == 8192u);
  BOOST_TEST(shm.segment_size() == 8192u);
  BOOST_REQUIRE(shm.data() != nullptr);
  bool zero = true;
  for (size_t i = 0; i < 8192; ++i) zero = zero && bytes(shm)[i] == 0;
  BOOST_TEST(zero);
  // Exclusive: the caller learns the name is taken (and decides), nothing is thrown.
  BOOST_TEST(!SharedMemory::create_exclusive(tn.name, 4096, 0600, SharedMemory::Umask::applies)
                  .has_value());
  BOOST_TEST(shm.segment_size() == 8192u);  // the existing segment was left as it was
  BOOST_TEST(SharedMemory::unlink(tn.name));
  BOOST_TEST(!exists(tn.name));
  BOOST_TEST(!SharedMemory::unlink(tn.name));
}

BOOST_AUTO_TEST_CASE(attach_shares_the_memory_read_write_and_read_only) {
  TempName tn;
  SharedMemory creator = create(tn.name, 4096);
  std::memcpy(creator.data(), "hello", 6);

  SharedMemory reader = SharedMemory::attach(tn.name, SharedMemory::Access::read_only, 4096);
  BOOST_TEST(std::string(static_cast<const char*>(reader.data())) == "hello");
  // Read-only means the mapping cannot be written: the kernel refuses PROT_WRITE on it.
  BOOST_TEST(mprotect(reader.data(), 4096, PROT_READ | PROT_WRITE) != 0);

  SharedMemory writer = SharedMemory::attach(tn.name, SharedMemory::Access::read_write, 100);
  BOOST_TEST(writer.mapped_size() == 100u);  // what was asked, not the whole segment
  std::memcpy(writer.data(), "world", 6);
  BOOST_TEST(std::string(static_cast<const char*>(creator.data())) == "world");
  BOOST_TEST(std::string(static_cast<const char*>(reader.data())) == "world");
}

BOOST_AUTO_TEST_CASE(a_segment_smaller_than_asked_is_refused) {
  TempName tn;
  SharedMemory shm = create(tn.name, 4096);
  try {
    (void)SharedMemory::attach(tn.name, SharedMemory::Access::read_only, 8192);
    BOOST_FAIL("attached a 4096-byte segment as 8192 bytes");
  } catch (const ShmError& e) {
    BOOST_TEST(std::string(e.what()).find(tn.name) != std::string::npos);
    BOOST_TEST(std::string(e.what()).find("4096") != std::string::npos);
    BOOST_TEST(e.sys_errno() == 0);
  }
  // Growing an existing mapping past the end is refused too, and keeps the old mapping.
  std::optional<SharedMemory> opened =
      SharedMemory::open_existing(tn.name, SharedMemory::Access::read_write);
  BOOST_REQUIRE(opened.has_value());
  BOOST_TEST(opened->data() == nullptr);  // not mapped until asked
  opened->map(4096);
  void* before = opened->data();
  BOOST_CHECK_THROW(opened->map(4097), ShmError);
  BOOST_TEST(opened->data() == before);
  BOOST_TEST(opened->mapped_size() == 4096u);
}

BOOST_AUTO_TEST_CASE(a_missing_segment_is_named_with_errno) {
  TempName tn;
  BOOST_TEST(!SharedMemory::open_existing(tn.name, SharedMemory::Access::read_only).has_value());
  try {
    (void)SharedMemory::attach(tn.name, SharedMemory::Access::read_write, 1);
    BOOST_FAIL("attached a segment that does not exist");
  } catch (const ShmError& e) {
    BOOST_TEST(e.sys_errno() == ENOENT);
    const std::string what = e.what();
    BOOST_TEST(what.find(tn.name) != std::string::npos);
    BOOST_TEST(what.find(std::strerror(ENOENT)) != std::string::npos);
  }
  BOOST_TEST(!exists(tn.name));  // attaching never creates
}

BOOST_AUTO_TEST_CASE(the_umask_narrows_the_mode_only_when_asked) {
  TempName narrowed, exact;
  const mode_t old = umask(077);
  std::optional<SharedMemory> a =
      SharedMemory::create_exclusive(narrowed.name, 4096, 0640, SharedMemory::Umask::applies);
  std::optional<SharedMemory> b =
      SharedMemory::create_exclusive(exact.name, 4096, 0660, SharedMemory::Umask::ignored);
  umask(old);
  BOOST_REQUIRE(a.has_value());
  BOOST_REQUIRE(b.has_value());
  struct stat st {};
  BOOST_REQUIRE(fstat(a->fd(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_REQUIRE(fstat(b->fd(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0660u);
}

BOOST_AUTO_TEST_CASE(move_hands_over_the_mapping_and_the_descriptor) {
  TempName tn;
  SharedMemory first = create(tn.name, 4096);
  bytes(first)[0] = 42;
  void* mapped = first.data();
  const int fd = first.fd();

  SharedMemory second(std::move(first));
  BOOST_TEST(first.data() == nullptr);  // the moved-from object unmaps and closes nothing
  BOOST_TEST(first.fd() == -1);
  BOOST_TEST(second.data() == mapped);
  BOOST_TEST(second.fd() == fd);
  BOOST_TEST(bytes(second)[0] == 42);
  BOOST_TEST(mappings_of(tn.name) == 1);

  // Assigning over a mapped object releases what it held.
  TempName other;
  SharedMemory third = create(other.name, 4096);
  const int third_fd = third.fd();
  third = std::move(second);
  BOOST_TEST(!fd_open(third_fd));
  BOOST_TEST(mappings_of(other.name) == 0);
  BOOST_TEST(third.data() == mapped);
  BOOST_TEST(bytes(third)[0] == 42);
  BOOST_TEST(mappings_of(tn.name) == 1);
}

BOOST_AUTO_TEST_CASE(destructor_unmaps_and_closes) {
  TempName tn;
  int fd = -1;
  {
    SharedMemory shm = create(tn.name, 4096);
    shm.map(2048);  // a remap replaces the mapping, it does not add one
    fd = shm.fd();
    BOOST_TEST(mappings_of(tn.name) == 1);
    BOOST_TEST(fd_open(fd));
  }
  BOOST_TEST(mappings_of(tn.name) == 0);
  BOOST_TEST(!fd_open(fd));
  BOOST_TEST(exists(tn.name));  // unmapping is not unlinking: the segment stays for others
}

BOOST_AUTO_TEST_CASE(unlink_if_current_spares_a_newer_segment_under_the_name) {
  TempName tn;
  SharedMemory old_one = create(tn.name, 4096);
  BOOST_REQUIRE(SharedMemory::unlink(tn.name));
  SharedMemory newer = create(tn.name, 4096);  // a restarted owner took the name over
  BOOST_TEST(!old_one.unlink_if_current());
  BOOST_TEST(exists(tn.name));
  BOOST_TEST(newer.unlink_if_current());
  BOOST_TEST(!exists(tn.name));
}

BOOST_AUTO_TEST_SUITE_END()
