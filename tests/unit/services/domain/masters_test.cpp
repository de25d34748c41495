// Tests for the pure decisions of workers/services/domain/masters.*: a new master's values,
// what a PUT writes (or that it writes nothing), when the epoch moves (the balancer then
// re-validates the master's keys), and the audit row of a delete.
#include "domain/masters.h"

#include <boost/test/unit_test.hpp>

#include "support/api_test.h"

using namespace ez::domain;
using ez::ErrorCode;
using ez::test::expect_error;

namespace {

ez::db::MasterRow stored() {
  ez::db::MasterRow m;
  m.id = 4;
  m.name = "acme";
  m.group = "g1";
  m.namespaces = {"a", "b"};
  m.default_namespace = "a";
  m.max_child_keys = 10;
  m.global_qps = 5;
  m.status = "active";
  m.epoch = 3;
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(domain_masters)

BOOST_AUTO_TEST_CASE(a_new_master_defaults_its_default_namespace_to_the_first) {
  MasterFields f;
  f.name = "acme";
  f.namespaces = std::vector<std::string>{"x", "y"};
  const ez::db::MasterValues v = new_master_values(f);
  BOOST_TEST(v.name == "acme");
  BOOST_TEST(v.default_namespace == "x");
  BOOST_TEST(v.group == "default");
  BOOST_TEST(v.max_child_keys == 100);
  BOOST_TEST(v.status == "active");
  f.default_namespace = "y";
  BOOST_TEST(new_master_values(f).default_namespace == "y");
  // Without namespaces there is no default namespace to pick.
  MasterFields bare;
  bare.name = "solo";
  BOOST_TEST(new_master_values(bare).default_namespace.empty());
  f.default_namespace = "z";
  expect_error([&] { (void)new_master_values(f); }, ErrorCode::invalid_field, "default_namespace");
}

BOOST_AUTO_TEST_CASE(sending_back_what_is_stored_writes_nothing) {
  const ez::db::MasterRow before = stored();
  BOOST_TEST(!plan_master_update(before, MasterFields{}).changed);
  MasterFields same;
  same.name = "acme";
  same.namespaces = std::vector<std::string>{"a", "b"};
  same.status = "active";
  same.global_qps = 5;
  const MasterUpdate u = plan_master_update(before, same);
  BOOST_TEST(!u.changed);
  BOOST_TEST(!u.bump_epoch);
}

BOOST_AUTO_TEST_CASE(the_epoch_moves_with_status_and_the_namespace_set_only) {
  const ez::db::MasterRow before = stored();
  MasterFields rename;
  rename.name = "acme2";
  rename.global_qps = 50;
  const MasterUpdate renamed = plan_master_update(before, rename);
  BOOST_TEST(renamed.changed);
  BOOST_TEST(renamed.values.name == "acme2");
  BOOST_TEST(renamed.values.group == "g1");  // untouched fields keep their stored value
  BOOST_TEST(!renamed.namespaces_changed);
  BOOST_TEST(!renamed.bump_epoch);

  MasterFields suspend;
  suspend.status = "suspended";
  BOOST_TEST(plan_master_update(before, suspend).bump_epoch);

  // The same set in another order is written (the order is shown) but changes no key's rights.
  MasterFields reorder;
  reorder.namespaces = std::vector<std::string>{"b", "a"};
  const MasterUpdate reordered = plan_master_update(before, reorder);
  BOOST_TEST(reordered.changed);
  BOOST_TEST(!reordered.namespaces_changed);
  BOOST_TEST(!reordered.bump_epoch);

  MasterFields shrink;
  shrink.namespaces = std::vector<std::string>{"a"};
  const MasterUpdate shrunk = plan_master_update(before, shrink);
  BOOST_TEST(shrunk.namespaces_changed);  // the keys using "b" must be checked
  BOOST_TEST(shrunk.bump_epoch);
}

BOOST_AUTO_TEST_CASE(dropping_the_default_namespace_is_refused_naming_it) {
  MasterFields shrink;
  shrink.namespaces = std::vector<std::string>{"b"};  // the stored default is "a"
  expect_error([&] { (void)plan_master_update(stored(), shrink); }, ErrorCode::invalid_field,
               "default_namespace");
  shrink.default_namespace = "b";
  BOOST_TEST(plan_master_update(stored(), shrink).values.default_namespace == "b");
}

BOOST_AUTO_TEST_CASE(a_deleted_masters_audit_row_names_the_keys_that_went_with_it) {
  const Json::Value before = deleted_master_json(stored(), {{11, "h11"}, {12, "h12"}});
  BOOST_TEST(before["name"].asString() == "acme");
  BOOST_TEST(before["deleted_key_ids"].size() == 2u);
  BOOST_TEST(before["deleted_key_ids"][0].asInt64() == 11);
  BOOST_TEST(before["deleted_key_ids"][1].asInt64() == 12);
  BOOST_TEST(before.toStyledString().find("h11") == std::string::npos);  // never a key hash
  BOOST_TEST(deleted_master_json(stored(), {})["deleted_key_ids"].isArray());
}

BOOST_AUTO_TEST_SUITE_END()
