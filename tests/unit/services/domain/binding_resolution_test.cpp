#include "domain/binding_resolution.h"

#include <boost/test/unit_test.hpp>

using namespace ez::snapshot;
using ez::domain::binding_report;

namespace {

BindingRow row(std::string route_group, int64_t group_id, std::string type, std::string value) {
  BindingRow r;
  r.v.ns = "ns";
  r.v.public_model = "gpt-4o";
  r.v.route_group = std::move(route_group);
  r.group_id = group_id;
  r.v.selector_type = std::move(type);
  r.v.selector_value = std::move(value);
  r.v.status = "active";
  return r;
}

GroupIndexes sample_groups() {
  GroupIndexes g;
  g[1].add(10, {"gpt-4o", "gpt-4o-mini"}, "openai-1");
  g[1].add(11, {"openai/GPT-4o"}, "proxy");
  g[1].add(12, {"claude-3"}, "anthropic");
  return g;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(binding_resolution)

BOOST_AUTO_TEST_CASE(a_working_binding_lists_every_provider) {
  const auto groups = sample_groups();
  const auto r = row("main", 1, "normalize_exact", "");
  const auto report = binding_report({{"main", resolve_candidate(r, groups, true)}});
  const Json::Value& res = report.resolution;
  BOOST_TEST(report.ok);
  BOOST_TEST(report.warnings.empty());
  BOOST_TEST(res["ok"].asBool());
  BOOST_REQUIRE(res["candidates"].size() == 1u);
  const Json::Value& c = res["candidates"][0];
  BOOST_TEST(c["route_group"].asString() == "main");
  BOOST_TEST(c["error"].isNull());
  BOOST_REQUIRE(c["providers"].size() == 3u);
  BOOST_TEST(c["providers"][0]["provider_id"].asInt64() == 10);
  BOOST_TEST(c["providers"][0]["provider_name"].asString() == "openai-1");
  BOOST_TEST(c["providers"][0]["upstream"].asString() == "gpt-4o");
  BOOST_TEST(c["providers"][0]["error"].isNull());
  BOOST_TEST(c["providers"][1]["upstream"].asString() == "openai/GPT-4o");
  BOOST_TEST(c["providers"][2]["upstream"].isNull());
  BOOST_TEST(c["providers"][2]["error"].asString() == "no_match");
}

BOOST_AUTO_TEST_CASE(an_ambiguous_binding_is_broken_and_says_where) {
  const auto groups = sample_groups();
  // "gpt-4o" matches both names of provider 10: config_error, nothing routed.
  const auto res = resolve_candidate(row("main", 1, "regex", "gpt-4o"), groups, true);
  BOOST_TEST(res.error == "config_error");
  BOOST_TEST(res.upstreams.empty());
  const auto report = binding_report({{"main", res}});
  BOOST_TEST(!report.ok);
  BOOST_TEST(!report.resolution["ok"].asBool());
  const Json::Value& c = report.resolution["candidates"][0];
  BOOST_TEST(c["error"].asString() == "config_error");
  BOOST_TEST(c["providers"][0]["error"].asString() == "ambiguous");
  BOOST_TEST(c["providers"][0]["upstream"].isNull());
  BOOST_TEST(c["providers"][1]["upstream"].isNull());  // not routed either: the candidate is off
  BOOST_REQUIRE(report.warnings.size() == 1u);
  BOOST_TEST(report.warnings[0].find("provider 10") != std::string::npos, report.warnings[0]);
  BOOST_TEST(report.warnings[0].find("gpt-4o-mini") != std::string::npos, report.warnings[0]);
}

BOOST_AUTO_TEST_CASE(missing_or_empty_groups_and_no_match) {
  GroupIndexes groups = sample_groups();
  groups[2];  // a group whose providers are all disabled
  auto r = resolve_candidate(row("nowhere", 0, "exact", ""), groups, true);
  BOOST_TEST(r.error == "no_provider");
  BOOST_TEST(r.reason.find("does not exist") != std::string::npos, r.reason);
  r = resolve_candidate(row("idle", 2, "exact", ""), groups, true);
  BOOST_TEST(r.error == "no_provider");
  BOOST_TEST(r.reason.find("no active provider") != std::string::npos, r.reason);
  r = resolve_candidate(row("main", 1, "exact", "mistral"), groups, true);
  BOOST_TEST(r.error == "no_provider");
  BOOST_TEST(r.providers.size() == 3u);
  // A pattern RE2 refuses is config_error even without providers.
  r = resolve_candidate(row("nowhere", 0, "regex", "a{1001}"), groups, true);
  BOOST_TEST(r.error == "config_error");
  BOOST_TEST(r.reason.find("invalid repetition size") != std::string::npos, r.reason);

  const auto report = binding_report(
      {{"nowhere", resolve_candidate(row("nowhere", 0, "exact", ""), groups, true)}});
  BOOST_TEST(report.resolution["candidates"][0]["providers"].size() == 0u);
  BOOST_TEST(report.resolution["candidates"][0]["error"].asString() == "no_provider");
  BOOST_REQUIRE(report.warnings.size() == 1u);
  BOOST_TEST(report.warnings[0].find("route_group \"nowhere\"") == 0u, report.warnings[0]);
}

BOOST_AUTO_TEST_CASE(the_snapshot_says_the_same) {
  // binding_json and the report come from one resolve_candidate: same upstreams, same error.
  const auto groups = sample_groups();
  for (const auto& r : {row("main", 1, "normalize_exact", ""), row("main", 1, "regex", "gpt-4o"),
                        row("gone", 0, "exact", "")}) {
    const auto res = resolve_candidate(r, groups, true);
    const std::string snap = binding_json({r}, groups);
    BOOST_TEST(snap.find("\"error\":\"" + res.error + "\"") != std::string::npos, snap);
    for (const auto& [id, model] : res.upstreams)
      BOOST_TEST(snap.find("\"" + std::to_string(id) + "\":\"" + model + "\"") != std::string::npos,
                 snap);
  }
}

BOOST_AUTO_TEST_SUITE_END()
