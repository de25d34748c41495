// Tests for the pure half of workers/services/domain/features.*: which flags a PUT writes,
// and the audit row it leaves (only the flags it changes, before and after).
#include "domain/features.h"

#include <boost/test/unit_test.hpp>

using namespace ez::domain;

namespace {

FeatureChange set(const std::string& name, Json::Value v) {
  return {name, std::move(v)};
}
FeatureChange drop(const std::string& name) {
  return {name, std::nullopt};
}

Json::Value current() {
  Json::Value c(Json::objectValue);
  c["dp_state_store_backend"] = "redis";
  c["dp_claude_cross_upstream"] = true;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(domain_features)

BOOST_AUTO_TEST_CASE(a_put_that_changes_nothing_writes_nothing) {
  const FeaturePlan p =
      plan_feature_changes(current(), {set("dp_state_store_backend", "redis"), drop("never_set")});
  BOOST_TEST(p.writes.empty());
  BOOST_TEST(p.before.empty());
  BOOST_TEST(p.after.empty());
  BOOST_TEST(plan_feature_changes(current(), {}).writes.empty());
}

BOOST_AUTO_TEST_CASE(the_audit_row_shows_only_the_changed_flags) {
  const FeaturePlan p = plan_feature_changes(
      current(), {set("dp_state_store_backend", "postgres"), set("dp_claude_cross_upstream", true),
                  set("new_flag", 3), drop("dp_claude_cross_upstream_x")});
  BOOST_TEST(p.writes.size() == 2u);
  BOOST_TEST(p.writes[0].name == "dp_state_store_backend");
  BOOST_TEST(p.writes[1].name == "new_flag");
  BOOST_TEST(p.before["dp_state_store_backend"].asString() == "redis");
  BOOST_TEST(p.after["dp_state_store_backend"].asString() == "postgres");
  BOOST_TEST(p.before["new_flag"].isNull());  // did not exist
  BOOST_TEST(p.after["new_flag"].asInt() == 3);
  BOOST_TEST(!p.after.isMember("dp_claude_cross_upstream"));  // unchanged: not in the row
}

BOOST_AUTO_TEST_CASE(deleting_a_flag_records_its_old_value_and_null) {
  const FeaturePlan p = plan_feature_changes(current(), {drop("dp_claude_cross_upstream")});
  BOOST_TEST(p.writes.size() == 1u);
  BOOST_TEST(!p.writes[0].value.has_value());
  BOOST_TEST(p.before["dp_claude_cross_upstream"].asBool() == true);
  BOOST_TEST(p.after.isMember("dp_claude_cross_upstream"));
  BOOST_TEST(p.after["dp_claude_cross_upstream"].isNull());
}

BOOST_AUTO_TEST_CASE(a_value_of_another_type_is_a_change) {
  // "true" (a string) is not true (a boolean): the balancer reads the JSON type.
  const FeaturePlan p = plan_feature_changes(current(), {set("dp_claude_cross_upstream", "true")});
  BOOST_TEST(p.writes.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
