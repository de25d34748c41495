#include "domain/admin_input.h"

#include <json/reader.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <memory>
#include <sstream>

#include "http/error.h"
#include "support/api_test.h"

using ez::http::ApiError;
using ez::http::ErrorCode;
using ez::test::expect_error;
using ez::test::parse;

BOOST_AUTO_TEST_SUITE(api_admin_input)

BOOST_AUTO_TEST_CASE(provider_create_defaults_and_normalisation) {
  auto v = ez::domain::provider_values(
      parse(R"({"name":" p\u0001'; DROP TABLE x;--","type":" VERTEX-Express ",
      "api_key":" sk-1234567890abcdef\n","models":["m1"," m2 ","m1"]})"),
      nullptr);
  BOOST_TEST(v.name == std::string(" p\x01'; DROP TABLE x;--"));  // verbatim
  BOOST_TEST(v.type == "vertex-express");
  BOOST_TEST(v.api_key == "sk-1234567890abcdef");
  BOOST_TEST(v.google_location == "global");  // vertex default
  BOOST_TEST(v.group == "default");
  BOOST_TEST((v.models == std::vector<std::string>{"m1", "m2"}));
  BOOST_TEST(v.weight == 1);
  BOOST_TEST(v.priority == 0);
  BOOST_TEST(v.status == "active");
  BOOST_TEST(v.auto_ban == true);

  auto o = ez::domain::provider_values(parse(R"({"name":"o","type":"openai"})"), nullptr);
  BOOST_TEST(o.google_location == "");
  auto g = ez::domain::provider_values(
      parse(R"({"name":"o","type":"vertex","google_location":"us-central1"})"), nullptr);
  BOOST_TEST(g.google_location == "us-central1");
}

BOOST_AUTO_TEST_CASE(provider_errors_name_the_field) {
  using ez::domain::provider_values;
  expect_error([] { (void)provider_values(parse(R"({"type":"openai"})"), nullptr); },
               ErrorCode::missing_field, "name");
  expect_error([] { (void)provider_values(parse(R"({"name":"a"})"), nullptr); },
               ErrorCode::missing_field, "type");
  expect_error([] { (void)provider_values(parse(R"({"name":"a","type":"nope"})"), nullptr); },
               ErrorCode::invalid_field, "type");
  expect_error([] { (void)provider_values(parse(R"({"name":"","type":"openai"})"), nullptr); },
               ErrorCode::invalid_field, "name");
  expect_error([] { (void)provider_values(parse(R"({"name":"   ","type":"openai"})"), nullptr); },
               ErrorCode::invalid_field, "name");
  expect_error([] { (void)provider_values(parse(R"({"name":7,"type":"openai"})"), nullptr); },
               ErrorCode::invalid_field, "name");
  expect_error(
      [] { (void)provider_values(parse(R"({"name":"a","type":"openai","weight":-1})"), nullptr); },
      ErrorCode::invalid_field, "weight");
  expect_error(
      [] { (void)provider_values(parse(R"({"name":"a","type":"openai","weight":"5"})"), nullptr); },
      ErrorCode::invalid_field, "weight");
  expect_error(
      [] {
        (void)provider_values(parse(R"({"name":"a","type":"openai","status":"paused"})"), nullptr);
      },
      ErrorCode::invalid_field, "status");
  expect_error(
      [] {
        (void)provider_values(parse(R"({"name":"a","type":"openai","base_url":"ftp://x"})"),
                              nullptr);
      },
      ErrorCode::invalid_field, "base_url");
  expect_error(
      [] {
        (void)provider_values(parse(R"({"name":"a","type":"openai","models":["a",1]})"), nullptr);
      },
      ErrorCode::invalid_field, "models[1]");
  expect_error(
      [] { (void)provider_values(parse(R"({"name":"a","type":"openai","wieght":1})"), nullptr); },
      ErrorCode::invalid_field, "wieght");
  expect_error(
      [] {
        (void)provider_values(parse(R"({"name":"a","type":"openai","auto_ban":"yes"})"), nullptr);
      },
      ErrorCode::invalid_field, "auto_ban");
  expect_error(
      [] {
        (void)provider_values(
            parse("{\"name\":\"" + std::string(257, 'x') + "\",\"type\":\"openai\"}"), nullptr);
      },
      ErrorCode::invalid_field, "name");
}

BOOST_AUTO_TEST_CASE(provider_partial_update) {
  ez::db::ProviderValues cur;
  cur.name = "p";
  cur.type = "openai";
  cur.api_key = "sk-abcdef1234567890";
  cur.weight = 3;
  cur.models = {"a"};
  // Absent fields keep their value; the masked key means "unchanged"; read-only fields ignored.
  auto v = ez::domain::provider_values(
      parse(R"({"priority":5,"api_key":"sk-****7890","id":99,"created_at":"x"})"), &cur);
  BOOST_TEST(v.api_key == cur.api_key);
  BOOST_TEST(v.priority == 5);
  BOOST_TEST(v.weight == 3);
  BOOST_TEST(v.name == "p");
  auto k = ez::domain::provider_values(parse(R"({"api_key":"sk-new-key-000000"})"), &cur);
  BOOST_TEST(k.api_key == "sk-new-key-000000");
  auto e = ez::domain::provider_values(parse(R"({})"), &cur);
  BOOST_TEST((e == cur));
  // Changing to vertex fills the location default.
  auto t = ez::domain::provider_values(parse(R"({"type":"vertex"})"), &cur);
  BOOST_TEST(t.google_location == "global");
}

BOOST_AUTO_TEST_CASE(provider_json_masks_and_matches_contract) {
  ez::db::ProviderRow row;
  row.id = 42;
  row.group_id = 7;
  row.v.name = "pg1#42";
  row.v.type = "vertex-express";
  row.v.api_key = "sk-abcdef1234567890";
  row.v.models = {"gemini-3-pro-preview"};
  const auto j = ez::domain::provider_json(row);
  BOOST_TEST(j["api_key"].asString() == "sk-****7890");
  BOOST_TEST(ez::domain::provider_json(row, false)["api_key"].asString() == row.v.api_key);
  // Every field name of the contract is present, with the contract's JSON type.
  std::ifstream in(std::string(EZ_CONTRACTS_DIR) + "/provider_snapshot.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto contract = parse(ss.str());
  for (const auto& name : contract.getMemberNames()) {
    BOOST_TEST(j.isMember(name), name);
    BOOST_TEST((contract[name].type() == j[name].type() ||
                (contract[name].isIntegral() && j[name].isIntegral())),
               name);
  }
  for (const char* extra : {"weight", "priority", "created_at", "updated_at"})
    BOOST_TEST(j.isMember(extra), extra);
}

BOOST_AUTO_TEST_CASE(models) {
  using ez::domain::model_values;
  auto v = model_values(parse(R"({"name":"ns.gpt-4o","context_window":128000,"supports_vision":true,
                                  "cost_per_token":0.000002,"kind":"Embedding"})"),
                        nullptr);
  BOOST_TEST(v.name == "ns.gpt-4o");
  BOOST_TEST(v.kind == "embedding");
  BOOST_TEST(v.context_window == 128000);
  BOOST_TEST(v.supports_vision);
  BOOST_TEST(v.supports_stream);  // default
  for (const char* bad : {"nodot", ".m", "ns.", "a/b.c", "ns.a/b"})
    expect_error(
        [&] { (void)model_values(parse(std::string(R"({"name":")") + bad + "\"}"), nullptr); },
        ErrorCode::invalid_field, "name");
  expect_error([] { (void)model_values(parse(R"({"kind":"chat"})"), nullptr); },
               ErrorCode::missing_field, "name");
  expect_error([] { (void)model_values(parse(R"({"name":"a.b","context_window":-1})"), nullptr); },
               ErrorCode::invalid_field, "context_window");
  expect_error(
      [] {
        (void)model_values(parse(R"({"name":"a.b","max_output_tokens":2147483648})"), nullptr);
      },
      ErrorCode::invalid_field, "max_output_tokens");
  expect_error(
      [] { (void)model_values(parse(R"({"name":"a.b","cost_per_token":-0.1})"), nullptr); },
      ErrorCode::invalid_field, "cost_per_token");
  expect_error([] { (void)model_values(parse(R"({"name":"a.b","kind":"image"})"), nullptr); },
               ErrorCode::invalid_field, "kind");
  expect_error([] { (void)model_values(parse(R"({"name":"a.b","supports_fim":1})"), nullptr); },
               ErrorCode::invalid_field, "supports_fim");
  BOOST_TEST(ez::domain::model_name_problem("ns.m.v1").empty());
  BOOST_TEST(ez::domain::model_name_problem("名前.モデル").empty());
  BOOST_TEST(!ez::domain::model_name_problem("ns").empty());
  BOOST_TEST(!ez::domain::model_name_problem("\xff.m").empty());

  ez::db::ModelRow row;
  row.v = v;
  const auto j = ez::domain::model_json(row);
  BOOST_TEST(j["namespace"].asString() == "ns");
  BOOST_TEST(j["public_model"].asString() == "gpt-4o");
  std::ifstream in(std::string(EZ_CONTRACTS_DIR) + "/model_snapshot.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto contract = parse(ss.str());
  for (const auto& name : contract.getMemberNames()) BOOST_TEST(j.isMember(name), name);
}

BOOST_AUTO_TEST_CASE(bindings) {
  using ez::domain::binding_values;
  auto v = binding_values(parse(R"({"namespace":"ns","public_model":"gpt-4o","route_group":"g"})"),
                          nullptr);
  BOOST_TEST(v.selector_type == "exact");
  BOOST_TEST(v.weight == 1);
  BOOST_TEST(v.status == "active");
  auto r = binding_values(parse(R"({"namespace":"ns","public_model":"m","route_group":"g",
                                    "selector_type":"regex","selector_value":"^gpt-4o(-mini)?$"})"),
                          nullptr);
  BOOST_TEST(r.selector_type == "regex");
  expect_error(
      [] {
        (void)binding_values(parse(R"({"namespace":"ns","public_model":"m","route_group":"g",
                                       "selector_type":"regex","selector_value":"(["})"),
                             nullptr);
      },
      ErrorCode::invalid_field, "selector_value");
  expect_error(
      [] {
        (void)binding_values(parse(R"({"namespace":"ns","public_model":"m","route_group":"g",
                                       "selector_type":"regex"})"),
                             nullptr);
      },
      ErrorCode::invalid_field, "selector_value");
  expect_error(
      [] {
        (void)binding_values(parse(R"({"namespace":"a.b","public_model":"m","route_group":"g"})"),
                             nullptr);
      },
      ErrorCode::invalid_field, "namespace");
  expect_error(
      [] { (void)binding_values(parse(R"({"namespace":"ns","public_model":"m"})"), nullptr); },
      ErrorCode::missing_field, "route_group");
  expect_error(
      [] {
        (void)binding_values(parse(R"({"namespace":"ns","public_model":"m","route_group":"g",
                                       "selector_type":"glob"})"),
                             nullptr);
      },
      ErrorCode::invalid_field, "selector_type");
  // A PUT that only switches the type is checked against the stored value.
  ez::db::BindingValues cur = v;
  cur.selector_value = "([";
  expect_error([&] { (void)binding_values(parse(R"({"selector_type":"regex"})"), &cur); },
               ErrorCode::invalid_field, "selector_value");
}

BOOST_AUTO_TEST_CASE(regex_selectors_are_checked_by_re2) {
  using ez::domain::binding_values;
  auto body = [](const std::string& pattern) {
    Json::Value b(Json::objectValue);
    b["namespace"] = "ns";
    b["public_model"] = "m";
    b["route_group"] = "g";
    b["selector_type"] = "regex";
    b["selector_value"] = pattern;
    return b;
  };
  // What Go's regexp compiles is accepted, including RE2-only syntax the old
  // ECMAScript check refused ((?i), \pL, \Q...\E).
  for (const char* ok : {"^gpt-4o$", "(?i)gpt", "\\pL+", "\\Qa.b\\E", "a{1000}", "(?P<v>x)y"})
    BOOST_CHECK_NO_THROW((void)binding_values(body(ok), nullptr));
  // Refused with RE2's own message quoted.
  try {
    (void)binding_values(body("a{1001}"), nullptr);
    BOOST_FAIL("a{1001} accepted");
  } catch (const ez::http::ApiError& e) {
    BOOST_TEST(e.field() == "selector_value");
    BOOST_TEST(std::string(e.what()).find("invalid repetition size: {1001}") != std::string::npos,
               e.what());
  }
  for (const char* bad : {"a\\Z", "(a)\\1", "foo(?=bar)", "\\C", "(", "x{2,1}"})
    expect_error([&] { (void)binding_values(body(bad), nullptr); }, ErrorCode::invalid_field,
                 "selector_value");
  // Selector values are stored trimmed (Go's strings.TrimSpace, NBSP included).
  auto v = binding_values(body(" \u00a0^gpt$\t"), nullptr);
  BOOST_TEST(v.selector_value == "^gpt$");
}

BOOST_AUTO_TEST_CASE(features) {
  auto c = ez::domain::feature_changes(
      parse(R"({"dp_state_store_backend":"redis","on":true,"n":3,"f":0.5,"gone":null})"));
  BOOST_TEST(c.size() == 5u);
  for (const auto& ch : c) {
    if (ch.name == "gone")
      BOOST_TEST(!ch.value.has_value());
    else
      BOOST_TEST(ch.value.has_value());
  }
  expect_error([] { (void)ez::domain::feature_changes(parse(R"({"x":{}})")); },
               ErrorCode::invalid_field, "x");
  expect_error([] { (void)ez::domain::feature_changes(parse(R"({"x":[1]})")); },
               ErrorCode::invalid_field, "x");
  expect_error([] { (void)ez::domain::feature_changes(parse(R"({"bad name":1})")); },
               ErrorCode::invalid_field, "bad name");
  expect_error([] { (void)ez::domain::feature_changes(parse(R"([1])")); }, ErrorCode::bad_json, "");
  BOOST_TEST(ez::domain::feature_changes(parse("{}")).empty());
}

BOOST_AUTO_TEST_CASE(audit_filters) {
  ez::http::Request r;
  r.query = {{"resource", "provider"},
             {"actor", "admin-token"},
             {"since", "2025-01-01T00:00:00+01:00"},
             {"until", "2025-01-02T00:00:00Z"}};
  auto f = ez::domain::audit_filter(r.query);
  BOOST_TEST(f.resource == "provider");
  BOOST_TEST(f.since == "2024-12-31T23:00:00Z");
  BOOST_TEST(f.until == "2025-01-02T00:00:00Z");
  ez::http::Request bad;
  bad.query = {{"since", "yesterday"}};
  expect_error([&] { (void)ez::domain::audit_filter(bad.query); }, ErrorCode::bad_request, "since");
  ez::http::Request inverted;
  inverted.query = {{"since", "2025-01-02T00:00:00Z"}, {"until", "2025-01-01T00:00:00Z"}};
  expect_error([&] { (void)ez::domain::audit_filter(inverted.query); }, ErrorCode::bad_request,
               "since");
}

// A plural, a typo or a parameter the route does not have is a 400 naming it, not an
// empty or unfiltered page; times PostgreSQL cannot hold are a 400, not a 500.
BOOST_AUTO_TEST_CASE(filters_refuse_what_would_silently_match_nothing) {
  auto audit = [](std::multimap<std::string, std::string> q) {
    ez::http::Request r;
    r.query = std::move(q);
    return ez::domain::audit_filter(r.query);
  };
  expect_error([&] { (void)audit({{"resource", "keys"}}); }, ErrorCode::bad_request, "resource");
  expect_error([&] { (void)audit({{"resourse", "key"}}); }, ErrorCode::bad_request, "resourse");
  expect_error(
      [&] {
        (void)audit({{"since", "0001-01-01T00:00:00+01:00"}});
      },
      ErrorCode::bad_request, "since");
  expect_error(
      [&] {
        (void)audit({{"until", "9999-12-31T23:59:59-23:59"}});
      },
      ErrorCode::bad_request, "until");
  for (const char* resource : {"provider", "master", "key", "model", "binding", "feature"})
    BOOST_TEST(audit({{"resource", resource}}).resource == resource);
  ez::http::Request p;
  p.query = {{"naem", "x"}};
  expect_error([&] { (void)ez::domain::provider_filter(p.query); }, ErrorCode::bad_request, "naem");
  ez::http::Request m;
  m.query = {{"group", "x"}};
  expect_error([&] { (void)ez::domain::model_filter(m.query); }, ErrorCode::bad_request, "group");
  ez::http::Request b;
  b.query = {{"model", "x"}};
  expect_error([&] { (void)ez::domain::binding_filter(b.query); }, ErrorCode::bad_request, "model");
  ez::http::Request paged;
  paged.query = {{"limit", "5"}, {"cursor", "abc"}, {"namespace", "ns"}};
  BOOST_TEST(ez::domain::binding_filter(paged.query).ns == "ns");
}

BOOST_AUTO_TEST_CASE(list_filters) {
  ez::http::Request r;
  r.query = {{"type", "OpenAI"}, {"status", "active"}, {"group", "g'1"}};
  auto f = ez::domain::provider_filter(r.query);
  BOOST_TEST(f.type == "openai");
  BOOST_TEST(f.group == "g'1");
  ez::http::Request bad;
  bad.query = {{"status", "paused"}};
  expect_error([&] { (void)ez::domain::provider_filter(bad.query); }, ErrorCode::bad_request,
               "status");
  ez::http::Request utf;
  utf.query = {{"group", "\xff"}};
  expect_error([&] { (void)ez::domain::provider_filter(utf.query); }, ErrorCode::bad_request,
               "group");
  ez::http::Request m;
  m.query = {{"kind", "rerank"}, {"namespace", "ns"}};
  BOOST_TEST(ez::domain::model_filter(m.query).kind == "rerank");
}

BOOST_AUTO_TEST_SUITE_END()
