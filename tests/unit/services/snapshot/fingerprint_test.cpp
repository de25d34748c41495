#include "snapshot/fingerprint.h"

#include <boost/test/unit_test.hpp>

using ez::snapshot::comparable;
using ez::snapshot::diverged;
using ez::snapshot::Fingerprint;
using ez::snapshot::kSomeRows;

namespace {

Fingerprint pg(int64_t keys) {
  Fingerprint f;
  f.version = 7;
  f.fields = {{"config:keys", keys}, {"config:providers", 2}, {"meta:models_meta", kSomeRows}};
  return f;
}

Fingerprint redis(int64_t keys) {
  Fingerprint f;
  f.version = 7;
  f.fields = {{"config:keys", keys}, {"config:providers", 2}, {"meta:models_meta", 6}};
  return f;
}

using Names = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_fingerprint)

BOOST_AUTO_TEST_CASE(agreeing_counts) {
  BOOST_TEST(comparable(pg(3), redis(3)));
  BOOST_TEST(diverged(pg(3), redis(3)).empty());
  BOOST_TEST(diverged(pg(kSomeRows), redis(3)).empty());
}

// `DEL config:keys`: the version survives, the hash does not.
BOOST_AUTO_TEST_CASE(a_deleted_hash_is_seen) {
  BOOST_TEST(diverged(pg(3), redis(0)) == Names{"config:keys"}, boost::test_tools::per_element());
  BOOST_TEST(diverged(pg(kSomeRows), redis(0)) == Names{"config:keys"},
             boost::test_tools::per_element());
  Fingerprint r = redis(3);
  r.fields.erase("meta:models_meta");
  BOOST_TEST(diverged(pg(3), r) == Names{"meta:models_meta"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_empty_table_expects_no_hash) {
  BOOST_TEST(diverged(pg(0), redis(0)).empty());
  BOOST_TEST(diverged(pg(0), redis(1)) == Names{"config:keys"}, boost::test_tools::per_element());
}

// A write in flight is not a loss: judged only when nothing is pending and
// both sides are at the same version.
BOOST_AUTO_TEST_CASE(not_judged_while_writes_are_in_flight) {
  Fingerprint p = pg(3);
  p.pending = true;
  BOOST_TEST(diverged(p, redis(0)).empty());
  BOOST_TEST(!comparable(p, redis(0)));
  Fingerprint r = redis(0);
  r.version = 6;  // behind: lost writes, the version check's case
  BOOST_TEST(diverged(pg(3), r).empty());
  r = redis(0);
  r.present = false;
  BOOST_TEST(diverged(pg(3), r).empty());
}

// A push whose PostgreSQL commit is still on its way leaves Redis ahead; the
// counts are still comparable then.
BOOST_AUTO_TEST_CASE(redis_ahead_is_still_judged) {
  Fingerprint r = redis(0);
  r.version = 8;
  BOOST_TEST(diverged(pg(3), r) == Names{"config:keys"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
