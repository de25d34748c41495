#include "snapshot/builders.h"

#include <boost/test/unit_test.hpp>

#include "api/auth.h"
#include "contract.h"
#include "snapshot/selector.h"

using namespace ez::snapshot;
using ez::test::joined;
using ez::test::load_contract;
using ez::test::parse_json;
using ez::test::shape_mismatches;

namespace {

#define EZ_CHECK_SHAPE(expected, actual_text)                                 \
  do {                                                                        \
    const auto diffs = shape_mismatches((expected), parse_json(actual_text)); \
    BOOST_TEST(diffs.empty(), joined(diffs) << " in " << (actual_text));      \
  } while (0)

ProviderRow sample_provider() {
  ProviderRow p;
  p.id = 42;
  p.v.name = "pg1#42";
  p.v.type = "vertex-express";
  p.v.api_key = "sk-\"quoted\"\n";
  p.v.google_project = "proj-1";
  p.v.google_location = "global";
  p.group_id = 7;
  p.v.group = "default";
  p.v.models = {"gemini-3-pro-preview"};
  p.v.status = "active";
  return p;
}

GroupIndex index_of(std::vector<std::pair<int64_t, std::vector<std::string>>> providers) {
  GroupIndex g;
  for (const auto& [id, models] : providers) g.add(id, models);
  return g;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_builders)

BOOST_AUTO_TEST_CASE(provider_matches_contract) {
  const auto text = provider_json(sample_provider());
  EZ_CHECK_SHAPE(load_contract("provider_snapshot.json"), text);
  const auto v = parse_json(text);
  BOOST_TEST(v["api_key"].asString() == "sk-\"quoted\"\n");  // escaping round-trips
  BOOST_TEST(v["id"].asInt64() == 42);
  BOOST_TEST(v["auto_ban"].asBool());
  // An empty models list is still an array.
  ProviderRow p = sample_provider();
  p.v.models.clear();
  BOOST_TEST(parse_json(provider_json(p))["models"].isArray());
}

BOOST_AUTO_TEST_CASE(model_matches_contract) {
  ModelRow m;
  m.v.name = "ns.m";
  m.v.kind = "chat";
  m.v.context_window = 128000;
  m.v.supports_vision = true;
  m.v.max_output_tokens = 8192;
  EZ_CHECK_SHAPE(load_contract("model_snapshot.json"), model_json(m));
}

BOOST_AUTO_TEST_CASE(models_meta_matches_contract) {
  Json::Value meta(Json::objectValue);
  for (const auto& [field, value] : models_meta_fields({{"ns.m", "{}"}}, 12, 1734464000))
    meta[field] = value;
  const auto diffs = shape_mismatches(load_contract("models_meta.json"), meta);
  BOOST_TEST(diffs.empty(), joined(diffs));
  BOOST_TEST(meta["source"].asString() == "ez-api");
  BOOST_TEST(meta["version"].asString() == "12");
  BOOST_TEST(meta["updated_at"].asString() == "1734464000");
}

BOOST_AUTO_TEST_CASE(key_and_master_shapes) {
  MasterRow m;
  m.id = 1;
  m.name = "tenant";
  m.group = "default";
  m.status = "active";
  m.namespaces = {"ns", "other"};
  m.epoch = 4;
  KeyRow k;
  k.token_hash = std::string(64, 'a');
  k.id = 3;
  k.master_id = 1;
  k.name = "ci";
  k.group = "vip";
  k.namespaces = {"ns"};
  k.model_limits = {"gpt-4o", "ns.m"};
  k.model_limits_enabled = true;
  k.model_rate_limits_text = R"({"ns.m": {"rpm": 10}})";
  k.allow_ips = {"10.0.0.0/8"};
  k.expires_unix = 1734464000;
  k.status = "active";
  k.issued_by = "admin";
  // model_limits: New API's allowlist (a list + its flag); RPM/TPM in model_rate_limits.
  const auto expected_key = parse_json(R"({"id":1,"master_id":1,"name":"","group":"",
    "namespaces":[""],"scopes":[],"model_limits":[""],"model_limits_enabled":true,
    "model_rate_limits":{},"allow_ips":[""],"expires_at":0,
    "status":"","issued_by":"","master_epoch":1})");
  EZ_CHECK_SHAPE(expected_key, key_json(k, m));
  const auto key = parse_json(key_json(k, m));
  BOOST_TEST(key["model_limits"][1].asString() == "ns.m");
  BOOST_TEST(key["model_limits_enabled"].asBool());
  BOOST_TEST(key["model_rate_limits"]["ns.m"]["rpm"].asInt() == 10);
  BOOST_TEST(key["expires_at"].asInt64() == 1734464000);
  // The key's own group and namespaces win; the epoch is always the master's.
  BOOST_TEST(key["group"].asString() == "vip");
  BOOST_TEST(key["namespaces"].size() == 1u);
  BOOST_TEST(key["master_epoch"].asInt64() == 4);
  k.model_rate_limits_text.clear();  // never emits invalid JSON
  k.model_limits.clear();
  BOOST_TEST(parse_json(key_json(k, m))["model_rate_limits"].isObject());
  BOOST_TEST(parse_json(key_json(k, m))["model_limits"].isArray());

  const auto expected_master = parse_json(R"({"id":1,"name":"","group":"","namespaces":[],
    "default_namespace":"","global_qps":0,"max_child_keys":0,"status":"","epoch":1})");
  EZ_CHECK_SHAPE(expected_master, master_json(m));
}

BOOST_AUTO_TEST_CASE(key_inherits_what_it_leaves_empty) {
  MasterRow m;
  m.id = 1;
  m.group = "tenant-group";
  m.namespaces = {"a", "b"};
  m.epoch = 9;
  KeyRow k;
  k.master_id = 1;
  const auto key = parse_json(key_json(k, m));
  BOOST_TEST(key["group"].asString() == "tenant-group");
  BOOST_REQUIRE(key["namespaces"].size() == 2u);
  BOOST_TEST(key["namespaces"][1].asString() == "b");
  BOOST_TEST(key["master_epoch"].asInt64() == 9);
  BOOST_TEST(key["expires_at"].asInt64() == 0);  // never
  // The row is not changed by it: the API still sees the key's own (empty) values.
  BOOST_TEST(k.group.empty());
  BOOST_TEST(k.namespaces.empty());
}

BOOST_AUTO_TEST_CASE(binding_shape_and_resolution) {
  GroupIndexes groups;
  groups[7] = index_of({{1, {"gpt-4o", "gpt-4o-mini"}}, {2, {"openai/GPT-4o"}}, {3, {"other"}}});
  BindingRow a;
  a.v.ns = "ns";
  a.v.public_model = "gpt-4o";
  a.v.route_group = "default";
  a.group_id = 7;
  a.v.selector_type = "normalize_exact";
  a.v.status = "active";
  a.updated_unix = 100;
  BindingRow b = a;
  b.v.route_group = "missing";
  b.group_id = 0;
  b.v.status = "disabled";
  b.updated_unix = 200;
  const auto text = binding_json({b, a}, groups);
  const auto v = parse_json(text);
  const auto expected = parse_json(R"({"namespace":"","public_model":"","status":"",
    "updated_at":0,"candidates":[]})");
  EZ_CHECK_SHAPE(expected, text);
  BOOST_TEST(v["status"].asString() == "active");
  BOOST_TEST(v["updated_at"].asInt64() == 200);
  BOOST_REQUIRE(v["candidates"].size() == 2u);
  const auto& c = v["candidates"][0];  // sorted by route group: "default" first
  const auto expected_candidate = parse_json(R"({"group_id":1,"route_group":"","weight":1,
    "selector_type":"","selector_value":"","status":"","error":"","upstreams":{}})");
  const auto diffs = shape_mismatches(expected_candidate, c);
  BOOST_TEST(diffs.empty(), joined(diffs));
  BOOST_TEST(c["error"].asString() == "");
  BOOST_TEST(c["selector_value"].asString() == "gpt-4o");  // defaults to the public model
  BOOST_TEST(c["upstreams"]["1"].asString() == "gpt-4o");
  BOOST_TEST(c["upstreams"]["2"].asString() == "openai/GPT-4o");
  BOOST_TEST(!c["upstreams"].isMember("3"));
  BOOST_TEST(v["candidates"][1]["error"].asString() == "no_provider");
  BOOST_TEST(v["candidates"][1]["group_id"].asInt64() == 0);
}

BOOST_AUTO_TEST_CASE(selector_exact) {
  const auto g = index_of({{1, {"gpt-4o", "gpt-4o-mini"}}, {2, {"GPT-4o"}}});
  auto r = g.resolve("exact", "", "gpt-4o");
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.upstreams.size() == 1u);
  BOOST_TEST(r.upstreams.at(1) == "gpt-4o");
  r = g.resolve("exact", "GPT-4o", "gpt-4o");  // an explicit value wins over the public model
  BOOST_TEST(r.upstreams.size() == 1u);
  BOOST_TEST(r.upstreams.at(2) == "GPT-4o");
  BOOST_TEST(g.resolve("exact", "", "claude").error == "no_provider");
}

BOOST_AUTO_TEST_CASE(selector_normalize_exact) {
  BOOST_TEST(normalize_model("  OpenAI/GPT-4o ") == "gpt-4o");
  BOOST_TEST(normalize_model("a/b/Claude-3") == "claude-3");
  BOOST_TEST(normalize_model("plain") == "plain");
  const auto g = index_of({{1, {"models/Gemini-Pro"}}, {2, {"gemini-pro"}}});
  const auto r = g.resolve("normalize_exact", " Vendor/GEMINI-PRO", "x");
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.upstreams.at(1) == "models/Gemini-Pro");
  BOOST_TEST(r.upstreams.at(2) == "gemini-pro");
  // Two names of one provider that normalize alike: ambiguous.
  const auto amb = index_of({{1, {"a/gpt-4o", "b/GPT-4o"}}});
  const auto bad = amb.resolve("normalize_exact", "", "gpt-4o");
  BOOST_TEST(bad.error == "config_error");
  BOOST_TEST(bad.upstreams.empty());
}

BOOST_AUTO_TEST_CASE(selector_regex) {
  const auto g = index_of({{1, {"claude-3-opus", "claude-3-sonnet"}}, {2, {"claude-3-opus-v2"}}});
  auto r = g.resolve("regex", "^claude-3-opus$", "x");
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.upstreams.size() == 1u);
  BOOST_TEST(r.upstreams.at(1) == "claude-3-opus");
  r = g.resolve("regex", "opus", "x");  // unanchored: one hit per provider
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.upstreams.at(2) == "claude-3-opus-v2");
  BOOST_TEST(g.resolve("regex", "claude-3", "x").error == "config_error");  // provider 1: two hits
  BOOST_TEST(g.resolve("regex", "^gpt", "x").error == "no_provider");
  BOOST_TEST(g.resolve("regex", "([", "x").error == "config_error");  // does not compile
  BOOST_TEST(g.resolve("glob", "*", "x").error == "config_error");
}

BOOST_AUTO_TEST_CASE(checksum_is_sha256_of_sorted_pairs) {
  const std::map<std::string, std::string> payloads{{"ns.b", R"({"name":"ns.b"})"},
                                                    {"ns.a", R"({"name":"ns.a"})"}};
  const std::string text = "ns.a\n{\"name\":\"ns.a\"}\nns.b\n{\"name\":\"ns.b\"}\n";
  BOOST_TEST(models_checksum(payloads) == ez::sha256_hex(text));
  // sha256 of the empty string for an empty hash.
  BOOST_TEST(models_checksum({}) ==
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(refresh_event_types) {
  const auto v = parse_json(refresh_event_json("keys", 17, "config:keys", 1734464000));
  BOOST_TEST(v["resource"].asString() == "keys");
  BOOST_TEST(v["version"].isString());
  BOOST_TEST(v["version"].asString() == "17");
  BOOST_TEST(v["active_key"].asString() == "config:keys");
  BOOST_TEST(v["timestamp"].isIntegral());
  BOOST_TEST(v.size() == 4u);
}

BOOST_AUTO_TEST_CASE(json_escapes_control_characters) {
  std::string s;
  JsonOut(s).str(std::string("a\x01\"\\\t", 5));
  BOOST_TEST(s == R"("a\u0001\"\\\t")");
  BOOST_TEST(parse_json("[" + s + "]")[0].asString() == std::string("a\x01\"\\\t", 5));
}

BOOST_AUTO_TEST_SUITE_END()
