// The exporter file parser: the fixture (tests/data/newapi_export.json) reads
// into the values an API write would store; every bad input names its JSON path.
#include "importer/export_file.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "api/auth.h"
#include "http/error.h"
#include "support/api_test.h"

using namespace ez::importer;
using ez::http::ApiError;
using ez::http::ErrorCode;
using ez::test::expect_error;

namespace {

std::string fixture() {
  std::ifstream in(std::string(EZ_SOURCE_DIR) + "/tests/data/newapi_export.json");
  BOOST_REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ParseOptions mapped() {
  ParseOptions o;
  o.type_map["azure"] = "openai";
  return o;
}

// A minimal valid file with one record of each kind; `patch` edits the JSON text.
std::string minimal(const std::string& provider_extra = "", const std::string& key_extra = "") {
  return R"({"version":"1.0.0","source":{"type":"newapi","version":"x","exported_at":"2025-01-01T00:00:00Z"},
    "data":{"providers":[{"original_id":1,"name":"p","type":"openai","api_key":"k","primary_group":"default",
    "weight":1,"status":"active","auto_ban":true)" +
         provider_extra + R"(}],
    "masters":[{"name":"m","group":"default","namespaces":["default"],"status":"active","_source_user_id":1}],
    "keys":[{"master_ref":"m","original_token":"tok","status":"active","_original_id":1)" +
         key_extra + R"(}],
    "bindings":[{"namespace":"default","route_group":"default","model":"gpt-4o","status":"active"}]},
    "warnings":[]})";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(importer_export_file)

BOOST_AUTO_TEST_CASE(fixture_reads_into_api_values) {
  const ExportFile f = parse_export(fixture(), mapped());
  BOOST_TEST(f.version == "1.0.0");
  BOOST_TEST(f.source.type == "newapi");
  BOOST_TEST(f.source.exported_at == "2025-06-01T00:30:00.123456Z");  // normalized to UTC
  BOOST_REQUIRE(f.providers.size() == 7u);
  BOOST_REQUIRE(f.masters.size() == 3u);
  BOOST_REQUIRE(f.keys.size() == 8u);
  BOOST_REQUIRE(f.bindings.size() == 2u);
  BOOST_TEST(f.warnings.size() == 4u);
  BOOST_TEST(f.unknown_types.empty());

  // Multi-key channel: names kept, index recorded.
  BOOST_TEST(f.providers[1].values.name == "openai-main-2");
  BOOST_TEST(f.providers[1].multi_key_index == 2);
  BOOST_TEST(f.providers[1].original_id == 1);
  BOOST_TEST(f.providers[0].all_groups == (std::vector<std::string>{"default", "vip"}));
  // Unicode names, mapped type, values as the API stores them.
  BOOST_TEST(f.providers[3].values.name == "claude-直连");
  BOOST_TEST(f.providers[3].values.status == "disabled");
  BOOST_TEST(f.providers[3].values.priority == 5);
  BOOST_TEST(f.providers[4].values.type == "openai");
  BOOST_TEST(f.providers[4].original_type == "azure");
  BOOST_TEST(f.providers[6].values.group == "vip");
  BOOST_TEST(f.masters[1].values.name == "张三");
  BOOST_TEST(f.masters[2].values.status == "suspended");

  const auto& limited = f.keys[3];
  BOOST_TEST(limited.model_limits_enabled);
  BOOST_TEST(limited.model_limits == (std::vector<std::string>{"gpt-4o", "gemini-1.5-pro"}));
  BOOST_TEST(limited.allow_ips == (std::vector<std::string>{"10.0.0.0/8", "192.168.1.7"}));
  BOOST_TEST(limited.expires_at.value_or("") == "2030-01-01T00:00:00Z");
  BOOST_TEST(limited.token_hash == ez::sha256_hex(limited.token));
  BOOST_TEST(f.keys[1].source_status == "expired");
  BOOST_TEST(f.keys[1].expires_at.value_or("") == "2024-12-31T15:59:59Z");
  BOOST_TEST(f.keys[4].token.empty());  // no plaintext
  BOOST_TEST(f.keys[4].token_hash.empty());
  BOOST_TEST(f.keys[5].namespaces.empty());  // New API's "" group: no restriction

  // Unknown fields are kept with their path, not rejected.
  BOOST_TEST(f.unknown_field_count == 2u);
  BOOST_TEST(f.unknown_fields.isMember("data.keys[7].cross_group_retry"));
  BOOST_TEST(f.unknown_fields["exporter_build"].asString() == "test-fixture");
}

BOOST_AUTO_TEST_CASE(unknown_types_are_listed_with_the_first_path) {
  const ExportFile f = parse_export(fixture());
  BOOST_TEST(f.unknown_types.size() == 1u);
  try {
    check_types(f);
    BOOST_ERROR("unknown types must be refused");
  } catch (const ApiError& e) {
    BOOST_TEST(e.field() == "data.providers[4].type");
    const std::string m = e.what();
    BOOST_TEST(m.find("azure (1 provider)") != std::string::npos, m);
    BOOST_TEST(m.find("--map-type azure=openai") != std::string::npos, m);
    BOOST_TEST(m.find("map_type=azure:openai") != std::string::npos, m);
  }
  BOOST_CHECK_NO_THROW(check_types(parse_export(fixture(), mapped())));
}

BOOST_AUTO_TEST_CASE(missing_or_mistyped_fields_name_their_path) {
  BOOST_CHECK_NO_THROW((void)parse_export(minimal()));
  std::string no_ref = minimal();
  no_ref.replace(no_ref.find(R"("master_ref":"m",)"), 17, "");
  expect_error([&] { (void)parse_export(no_ref); }, ErrorCode::missing_field,
               "data.keys[0].master_ref");
  std::string bad_weight = minimal();
  bad_weight.replace(bad_weight.find(R"("weight":1)"), 10, R"("weight":"1")");
  expect_error([&] { (void)parse_export(bad_weight); }, ErrorCode::invalid_field,
               "data.providers[0].weight");
  expect_error([&] { (void)parse_export(minimal(R"(,"models":["a",7])")); },
               ErrorCode::invalid_field, "data.providers[0].models[1]");
  expect_error([&] { (void)parse_export(minimal("", R"(,"expires_at":"tomorrow")")); },
               ErrorCode::invalid_field, "data.keys[0].expires_at");
  std::string frozen = minimal();
  frozen.replace(frozen.find(R"("status":"active","_original_id")"), 17, R"("status":"frozen")");
  expect_error([&] { (void)parse_export(frozen); }, ErrorCode::invalid_field,
               "data.keys[0].status");
  std::string no_source = minimal();
  no_source.replace(no_source.find(R"("source")"), 8, R"("sourcex")");
  expect_error([&] { (void)parse_export(no_source); }, ErrorCode::missing_field, "source");
}

BOOST_AUTO_TEST_CASE(api_validation_rules_apply_with_file_paths) {
  // The rules of POST /providers, /admin/masters, keys and bindings, named by file path.
  expect_error([&] { (void)parse_export(minimal(R"(,"base_url":"ftp://x")")); },
               ErrorCode::invalid_field, "data.providers[0].base_url");
  expect_error([&] { (void)parse_export(minimal("", R"(,"allow_ips":["10.0.0.1/8"])")); },
               ErrorCode::invalid_field, "data.keys[0].allow_ips[0]");
  expect_error([&] { (void)parse_export(minimal("", R"(,"namespaces":["a.b"])")); },
               ErrorCode::invalid_field, "data.keys[0].namespaces[0]");
  std::string bad_group = minimal();
  bad_group.replace(bad_group.find(R"("primary_group":"default")"), 25,
                    R"("primary_group":")" + std::string(200, 'g') + R"(")");
  expect_error([&] { (void)parse_export(bad_group); }, ErrorCode::invalid_field,
               "data.providers[0].primary_group");
  std::string bad_ns = minimal();
  bad_ns.replace(bad_ns.find(R"("namespace":"default")"), 21, R"("namespace":"a.b")");
  expect_error([&] { (void)parse_export(bad_ns); }, ErrorCode::invalid_field,
               "data.bindings[0].namespace");
  std::string spaced = minimal();
  spaced.replace(spaced.find(R"("tok")"), 5, R"("has space")");
  expect_error([&] { (void)parse_export(spaced); }, ErrorCode::invalid_field,
               "data.keys[0].original_token");
  // A member twice is not JSON for the strict reader the API uses.
  expect_error([&] { (void)parse_export(minimal("", R"(,"status":"active")")); },
               ErrorCode::bad_json, "data.keys[0]");
}

BOOST_AUTO_TEST_CASE(broken_json_names_the_element) {
  std::string broken = minimal();
  broken.replace(broken.find(R"("_original_id":1)"), 16, R"("_original_id":1,)");
  expect_error([&] { (void)parse_export(broken); }, ErrorCode::bad_json, "data.keys[0]");
  expect_error([&] { (void)parse_export(R"({"version":"1.0.0",)"); }, ErrorCode::bad_json,
               "(root)");
  expect_error([&] { (void)parse_export("[]"); }, ErrorCode::bad_json, "(root)");
  std::string v2 = minimal();
  v2.replace(v2.find("1.0.0"), 5, "2.0.0");
  expect_error([&] { (void)parse_export(v2); }, ErrorCode::invalid_field, "version");
}

BOOST_AUTO_TEST_CASE(go_nulls_and_absent_lists_are_empty) {
  const ExportFile f = parse_export(R"({"version":"1.0.0","source":{"type":"newapi","version":"",
      "exported_at":"2025-01-01T00:00:00Z"},"data":{"providers":null,"keys":[]},"warnings":null})");
  BOOST_TEST(f.providers.empty());
  BOOST_TEST(f.masters.empty());
  const ExportFile g = parse_export(minimal(R"(,"models":null,"all_groups":null)"));
  BOOST_TEST(g.providers[0].values.models.empty());
  BOOST_TEST(g.providers[0].all_groups == (std::vector<std::string>{"default"}));
}

BOOST_AUTO_TEST_CASE(type_map_forms) {
  TypeMap m;
  parse_type_map("custom=openai,azure:openai", m);
  BOOST_TEST(m.at("custom") == "openai");
  BOOST_TEST(m.at("azure") == "openai");
  expect_error([&] { parse_type_map("azure", m); }, ErrorCode::bad_request, "map_type");
  expect_error([&] { parse_type_map("azure=nope", m); }, ErrorCode::bad_request, "map_type");
  // The same pair again is fine; a second target for a type is a 400 (it was the last one).
  parse_type_map("custom=openai", m);
  expect_error([&] { parse_type_map("custom=anthropic", m); }, ErrorCode::bad_request, "map_type");
  BOOST_TEST(m.at("custom") == "openai");
  ParseOptions o;
  o.type_map["custom"] = "openai";
  BOOST_TEST(parse_export(fixture(), o).providers[5].values.type == "openai");
}

BOOST_AUTO_TEST_SUITE_END()
