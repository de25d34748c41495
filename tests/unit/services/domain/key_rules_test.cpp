#include "domain/key_rules.h"

#include <json/reader.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <set>

#include "common/hash.h"
#include "db/keys_repo.h"
#include "db/masters_repo.h"
#include "http/error.h"
#include "support/api_test.h"

using namespace ez::domain;
using ez::http::ApiError;
using ez::http::ErrorCode;
using ez::test::expect_error;
using ez::test::parse;

namespace {

bool is_lower_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(key_rules)

BOOST_AUTO_TEST_CASE(secrets_have_prefix_length_and_alphabet) {
  const IssuedSecret k = new_client_key();
  BOOST_TEST(k.secret.rfind("ezk_", 0) == 0u);
  BOOST_TEST(k.secret.size() == 4 + kSecretRandomChars);
  BOOST_TEST(k.secret.substr(4).find_first_not_of(
                 "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
             std::string::npos);
  BOOST_TEST(k.hash == ez::sha256_hex(k.secret));
  BOOST_TEST(k.hash.size() == 64u);
  BOOST_TEST(is_lower_hex(k.hash));
  BOOST_TEST(k.prefix == k.secret.substr(0, kDisplayPrefixLen));

  const IssuedSecret m = new_master_key();
  BOOST_TEST(m.secret.rfind("ezm_", 0) == 0u);
  BOOST_TEST(looks_like_master_key(m.secret));
  BOOST_TEST(!looks_like_master_key(k.secret));
}

BOOST_AUTO_TEST_CASE(secrets_do_not_repeat_and_use_the_whole_alphabet) {
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 200; ++i) {
    auto s = new_client_key().secret;
    BOOST_TEST(seen.insert(s).second);
    chars.insert(s.begin() + 4, s.end());
  }
  // 200 * 43 uniform draws from 62 characters: every one shows up.
  BOOST_TEST(chars.size() == 62u);
  BOOST_TEST(random_base62(0).empty());
  BOOST_TEST(random_base62(1000).size() == 1000u);
}

BOOST_AUTO_TEST_CASE(master_key_shape) {
  BOOST_TEST(!looks_like_master_key(""));
  BOOST_TEST(!looks_like_master_key("ezm_"));
  BOOST_TEST(!looks_like_master_key("ezm_" + std::string(kSecretRandomChars - 1, 'a')));
  BOOST_TEST(looks_like_master_key("ezm_" + std::string(kSecretRandomChars, 'a')));
  BOOST_TEST(!looks_like_master_key("ezm_" + std::string(kSecretRandomChars - 1, 'a') + "."));
  BOOST_TEST(!looks_like_master_key("EZM_" + std::string(kSecretRandomChars, 'a')));
}

BOOST_AUTO_TEST_CASE(child_key_quota) {
  BOOST_TEST(!child_key_quota_reached(0, 1));
  BOOST_TEST(child_key_quota_reached(1, 1));
  BOOST_TEST(child_key_quota_reached(0, 0));
  BOOST_TEST(child_key_quota_reached(5, 3));  // max lowered below the count
  BOOST_CHECK_NO_THROW(enforce_child_key_quota(7, 2, 3));
  expect_error([] { enforce_child_key_quota(7, 3, 3); }, ErrorCode::conflict, "max_child_keys");
  BOOST_TEST(ez::http::http_status(ErrorCode::conflict) == 409);
}

BOOST_AUTO_TEST_CASE(namespace_subset) {
  const std::vector<std::string> master = {"a", "b"};
  BOOST_TEST(!first_not_in({}, master));
  BOOST_TEST(!first_not_in({"b", "a"}, master));
  BOOST_TEST(*first_not_in({"a", "c"}, master) == "c");
  BOOST_CHECK_NO_THROW(check_key_namespaces({"a"}, master));
  BOOST_CHECK_NO_THROW(check_key_namespaces({}, {}));
  expect_error([&] { check_key_namespaces({"zz"}, master); }, ErrorCode::invalid_field,
               "namespaces");
  expect_error([&] { check_key_namespaces({"a"}, {}); }, ErrorCode::invalid_field, "namespaces");
  BOOST_TEST(same_set({"a", "b"}, {"b", "a", "a"}));
  BOOST_TEST(!same_set({"a"}, {"a", "b"}));
}

BOOST_AUTO_TEST_CASE(master_fields_create_and_update) {
  auto f = parse_master_fields(
      parse(R"({"name":"acme","group":"g","namespaces":["x","y"],"default_namespace":"y",)"
            R"("max_child_keys":3,"global_qps":10,"status":"suspended"})"),
      true);
  BOOST_TEST(*f.name == "acme");
  BOOST_TEST(*f.group == "g");
  BOOST_TEST(f.namespaces->size() == 2u);
  BOOST_TEST(*f.default_namespace == "y");
  BOOST_TEST(*f.max_child_keys == 3);
  BOOST_TEST(*f.global_qps == 10);
  BOOST_TEST(*f.status == "suspended");

  // Update: everything optional; read-only fields of a GET result are ignored.
  auto u = parse_master_fields(parse(R"({"id":1,"epoch":4,"key_prefix":"ezm_abcd"})"), false);
  BOOST_TEST(!u.name);
  BOOST_TEST(!u.status);

  expect_error([] { (void)parse_master_fields(parse(R"({})"), true); }, ErrorCode::missing_field,
               "name");
  expect_error([] { (void)parse_master_fields(parse(R"({"name":""})"), true); },
               ErrorCode::invalid_field, "name");
  expect_error([] { (void)parse_master_fields(parse(R"({"name":"a","wat":1})"), true); },
               ErrorCode::invalid_field, "wat");
  expect_error([] { (void)parse_master_fields(parse(R"({"max_child_keys":-1})"), false); },
               ErrorCode::invalid_field, "max_child_keys");
  expect_error(
      [] { (void)parse_master_fields(parse(R"({"max_child_keys":99999999999999999999})"), false); },
      ErrorCode::invalid_field, "max_child_keys");
  expect_error([] { (void)parse_master_fields(parse(R"({"global_qps":"5"})"), false); },
               ErrorCode::invalid_field, "global_qps");
  expect_error([] { (void)parse_master_fields(parse(R"({"status":"disabled"})"), false); },
               ErrorCode::invalid_field, "status");
  expect_error([] { (void)parse_master_fields(parse(R"({"namespaces":["a.b"]})"), false); },
               ErrorCode::invalid_field, "namespaces[0]");
  expect_error([] { (void)parse_master_fields(parse(R"({"namespaces":"a"})"), false); },
               ErrorCode::invalid_field, "namespaces");
  expect_error([] { (void)parse_master_fields(parse(R"({"default_namespace":"a.b"})"), false); },
               ErrorCode::invalid_field, "default_namespace");
  expect_error([] { (void)parse_master_fields(parse(R"([1])"), true); }, ErrorCode::bad_json, "");
  expect_error([] { (void)parse_master_fields(parse(R"({"name":null})"), true); },
               ErrorCode::invalid_field, "name");
}

BOOST_AUTO_TEST_CASE(hostile_names_are_kept_verbatim) {
  const std::string hostile = "Robert'); DROP TABLE masters;-- <script>\"é\\";
  Json::Value body(Json::objectValue);
  body["name"] = hostile;
  BOOST_TEST(*parse_master_fields(body, true).name == hostile);
  BOOST_TEST(*parse_key_fields(body, KeyBody::create_for_master).name == hostile);
}

BOOST_AUTO_TEST_CASE(key_fields) {
  auto f = parse_key_fields(
      parse(R"({"master_id":5,"name":"k","group":"g","namespaces":["a"],"scopes":["chat"],)"
            R"("model_limits":[" gpt-4 ","ns.m2","gpt-4"],)"
            R"("model_rate_limits":{"gpt-4":{"rpm":60},"m2":100},"allow_ips":["10.0.0.0/8","::1"],)"
            R"("expires_at":"2030-01-01T00:00:00+02:00","status":"disabled"})"),
      KeyBody::create_admin);
  BOOST_TEST(*f.master_id == 5);
  BOOST_TEST(f.namespaces->at(0) == "a");
  BOOST_TEST(f.scopes->at(0) == "chat");
  // Trimmed, deduplicated, order kept; a non-empty list switches the allowlist on.
  BOOST_TEST(*f.model_limits == (std::vector<std::string>{"gpt-4", "ns.m2"}),
             boost::test_tools::per_element());
  BOOST_TEST(f.model_limits_enabled.value_or(false));
  BOOST_TEST((*f.model_rate_limits)["gpt-4"]["rpm"].asInt() == 60);
  BOOST_TEST(f.allow_ips->size() == 2u);
  BOOST_REQUIRE(f.expires_at && *f.expires_at);
  BOOST_TEST(**f.expires_at == "2029-12-31T22:00:00Z");
  BOOST_TEST(*f.status == "disabled");

  // null clears the expiry; absent leaves it alone.
  auto n = parse_key_fields(parse(R"({"expires_at":null})"), KeyBody::update);
  BOOST_REQUIRE(n.expires_at);
  BOOST_TEST(!*n.expires_at);
  BOOST_TEST(!parse_key_fields(parse(R"({})"), KeyBody::update).expires_at);

  expect_error([] { (void)parse_key_fields(parse(R"({})"), KeyBody::create_admin); },
               ErrorCode::missing_field, "master_id");
  expect_error([] { (void)parse_key_fields(parse(R"({"master_id":"1"})"), KeyBody::create_admin); },
               ErrorCode::invalid_field, "master_id");
  expect_error([] { (void)parse_key_fields(parse(R"({"master_id":0})"), KeyBody::create_admin); },
               ErrorCode::invalid_field, "master_id");
  expect_error(
      [] { (void)parse_key_fields(parse(R"({"master_id":1})"), KeyBody::create_for_master); },
      ErrorCode::invalid_field, "master_id");
  expect_error(
      [] { (void)parse_key_fields(parse(R"({"allow_ips":["10.0.0.1/8"]})"), KeyBody::update); },
      ErrorCode::invalid_field, "allow_ips[0]");
  expect_error([] { (void)parse_key_fields(parse(R"({"allow_ips":["nope"]})"), KeyBody::update); },
               ErrorCode::invalid_field, "allow_ips[0]");
  expect_error(
      [] {
        (void)parse_key_fields(parse(R"({"expires_at":"2030-02-30T00:00:00Z"})"), KeyBody::update);
      },
      ErrorCode::invalid_field, "expires_at");
  expect_error(
      [] { (void)parse_key_fields(parse(R"({"expires_at":"tomorrow"})"), KeyBody::update); },
      ErrorCode::invalid_field, "expires_at");
  expect_error([] { (void)parse_key_fields(parse(R"({"status":"suspended"})"), KeyBody::update); },
               ErrorCode::invalid_field, "status");
  expect_error([] { (void)parse_key_fields(parse(R"({"scopes":[1]})"), KeyBody::update); },
               ErrorCode::invalid_field, "scopes[0]");
  expect_error([] { (void)parse_key_fields(parse(R"({"key":"ezk_x"})"), KeyBody::update); },
               ErrorCode::invalid_field, "key");
  expect_error([] { (void)parse_key_fields(parse(R"({"name":"\u0000"})"), KeyBody::update); },
               ErrorCode::invalid_field, "name");
}

// A new key that is already expired is refused; an update may still expire a key now.
BOOST_AUTO_TEST_CASE(new_keys_must_expire_in_the_future) {
  expect_error(
      [] {
        (void)parse_key_fields(parse(R"({"master_id":1,"expires_at":"2001-01-01T00:00:00Z"})"),
                               KeyBody::create_admin);
      },
      ErrorCode::invalid_field, "expires_at");
  expect_error(
      [] {
        (void)parse_key_fields(parse(R"({"expires_at":"2001-01-01T00:00:00Z"})"),
                               KeyBody::create_for_master);
      },
      ErrorCode::invalid_field, "expires_at");
  expect_error(
      [] {
        (void)parse_key_fields(parse(R"({"expires_at":"0001-01-01T00:00:00+01:00"})"),
                               KeyBody::create_for_master);
      },
      ErrorCode::invalid_field, "expires_at");
  auto u = parse_key_fields(parse(R"({"expires_at":"2001-01-01T00:00:00Z"})"), KeyBody::update);
  BOOST_TEST(**u.expires_at == "2001-01-01T00:00:00Z");
  BOOST_CHECK_NO_THROW((void)parse_key_fields(parse(R"({"expires_at":"9999-12-31T23:59:59Z"})"),
                                              KeyBody::create_for_master));
}

// PUT /master/keys/{id}: a master renames, disables and re-limits; the rest is the admin's.
BOOST_AUTO_TEST_CASE(master_may_change_name_status_and_limits_only) {
  auto f = parse_key_fields(
      parse(
          R"({"name":"n","status":"disabled","model_limits":["m"],"model_rate_limits":{"m":{"rpm":5}},"id":3,"key_prefix":"ezk_"})"),
      KeyBody::update_by_master);
  BOOST_TEST(*f.name == "n");
  BOOST_TEST(*f.status == "disabled");
  BOOST_TEST(f.model_limits->at(0) == "m");
  BOOST_TEST((*f.model_rate_limits)["m"]["rpm"].asInt() == 5);
  BOOST_TEST(!f.master_id);
  for (const char* field :
       {"master_id", "group", "namespaces", "scopes", "allow_ips", "expires_at"}) {
    Json::Value body(Json::objectValue);
    body[field] = Json::Value(Json::nullValue);
    expect_error([&] { (void)parse_key_fields(body, KeyBody::update_by_master); },
                 ErrorCode::invalid_field, field);
  }
  expect_error([] { (void)parse_key_fields(parse(R"({"nmae":"x"})"), KeyBody::update_by_master); },
               ErrorCode::invalid_field, "nmae");
}

BOOST_AUTO_TEST_CASE(model_limits_is_an_allowlist) {
  auto fields = [](const char* text) { return parse_key_fields(parse(text), KeyBody::update); };
  // What a migrating New API admin sends.
  auto f = fields(R"({"model_limits":["gpt-4o"]})");
  BOOST_TEST(f.model_limits->size() == 1u);
  BOOST_TEST(*f.model_limits_enabled);
  // The flag sent explicitly wins; an empty list does not switch it on.
  BOOST_TEST(
      !*fields(R"({"model_limits":["gpt-4o"],"model_limits_enabled":false})").model_limits_enabled);
  BOOST_TEST(!fields(R"({"model_limits":[]})").model_limits_enabled.has_value());
  BOOST_TEST(!fields(R"({"name":"x"})").model_limits.has_value());
  // Unicode white space is trimmed like Go's strings.TrimSpace; duplicates after trimming go.
  f = fields(R"({"model_limits":["\u00a0gpt-4o\u3000","gpt-4o","default.claude"]})");
  BOOST_TEST(*f.model_limits == (std::vector<std::string>{"gpt-4o", "default.claude"}),
             boost::test_tools::per_element());

  // The old map shape is refused with a pointer to its new name.
  try {
    (void)fields(R"({"model_limits":{"gpt-4o":{"rpm":60}}})");
    BOOST_FAIL("a map was accepted as model_limits");
  } catch (const ApiError& e) {
    BOOST_TEST(e.field() == "model_limits");
    BOOST_TEST(std::string(e.what()).find("model_rate_limits") != std::string::npos);
  }
  expect_error([&] { (void)fields(R"({"model_limits":"gpt-4o"})"); }, ErrorCode::invalid_field,
               "model_limits");
  expect_error([&] { (void)fields(R"({"model_limits":null})"); }, ErrorCode::invalid_field,
               "model_limits");
  expect_error([&] { (void)fields(R"({"model_limits":["a",1]})"); }, ErrorCode::invalid_field,
               "model_limits[1]");
  expect_error([&] { (void)fields(R"({"model_limits":["  "]})"); }, ErrorCode::invalid_field,
               "model_limits[0]");
  expect_error([&] { (void)fields(R"({"model_limits":["a\u0007b"]})"); }, ErrorCode::invalid_field,
               "model_limits[0]");
  expect_error([&] { (void)fields(R"({"model_limits_enabled":"yes"})"); }, ErrorCode::invalid_field,
               "model_limits_enabled");
  Json::Value many(Json::objectValue);
  for (int i = 0; i < 1025; ++i) many["model_limits"].append("m" + std::to_string(i));
  expect_error([&] { (void)parse_key_fields(many, KeyBody::update); }, ErrorCode::invalid_field,
               "model_limits");
  many["model_limits"].resize(1024);
  BOOST_TEST(parse_key_fields(many, KeyBody::update).model_limits->size() == 1024u);
}

BOOST_AUTO_TEST_CASE(empty_enabled_allowlist_warns) {
  BOOST_TEST(key_warnings(true, {}).size() == 1u);
  BOOST_TEST(key_warnings(true, {"gpt-4o"}).empty());
  BOOST_TEST(key_warnings(false, {}).empty());
}

BOOST_AUTO_TEST_CASE(model_rate_limits_shape) {
  auto ok = [](const char* text) { check_model_rate_limits(parse(text)); };
  BOOST_CHECK_NO_THROW(ok(R"({})"));
  BOOST_CHECK_NO_THROW(ok(R"({"m":0,"n":{"rpm":1,"tpm":2},"o":{}})"));
  expect_error([&] { ok(R"([])"); }, ErrorCode::invalid_field, "model_rate_limits");
  expect_error([&] { check_model_rate_limits(Json::Value()); }, ErrorCode::invalid_field,
               "model_rate_limits");
  expect_error([&] { ok(R"({"m":-1})"); }, ErrorCode::invalid_field, "model_rate_limits.m");
  expect_error([&] { ok(R"({"m":1.5})"); }, ErrorCode::invalid_field, "model_rate_limits.m");
  expect_error([&] { ok(R"({"m":"5"})"); }, ErrorCode::invalid_field, "model_rate_limits.m");
  expect_error([&] { ok(R"({"m":[1]})"); }, ErrorCode::invalid_field, "model_rate_limits.m");
  // Unknown limit names (a typo) and wrong types name the full JSON path.
  expect_error([&] { ok(R"({"gpt-4o":{"rmp":60}})"); }, ErrorCode::invalid_field,
               "model_rate_limits.gpt-4o.rmp");
  expect_error([&] { ok(R"({"gpt-4o":{"rpm":60,"burst":1}})"); }, ErrorCode::invalid_field,
               "model_rate_limits.gpt-4o.burst");
  expect_error([&] { ok(R"({"m":{"rpm":-2}})"); }, ErrorCode::invalid_field,
               "model_rate_limits.m.rpm");
  expect_error([&] { ok(R"({"m":{"rpm":1.0}})"); }, ErrorCode::invalid_field,
               "model_rate_limits.m.rpm");
  expect_error([&] { ok(R"({"m":{"tpm":"100"}})"); }, ErrorCode::invalid_field,
               "model_rate_limits.m.tpm");
  expect_error([&] { ok(R"({"m":{"tpm":{"x":1}}})"); }, ErrorCode::invalid_field,
               "model_rate_limits.m.tpm");
  expect_error([&] { ok(R"({"":1})"); }, ErrorCode::invalid_field, "model_rate_limits");
  expect_error([&] { ok(R"({"m\u0000":1})"); }, ErrorCode::invalid_field, "model_rate_limits");
  expect_error([&] { ok(R"({"m":{"":1}})"); }, ErrorCode::invalid_field, "model_rate_limits.m");
  // Invalid UTF-8 in an object key would make PostgreSQL's jsonb fail (a 500).
  Json::Value bad(Json::objectValue);
  bad[std::string("m\xff")] = 1;
  expect_error([&] { check_model_rate_limits(bad); }, ErrorCode::invalid_field,
               "model_rate_limits");
  // Through the body parser too, on every key path (POST /keys, PUT, master self-service).
  for (auto kind : {KeyBody::create_for_master, KeyBody::update})
    expect_error(
        [&] { (void)parse_key_fields(parse(R"({"model_rate_limits":{"m":{"rmp":1}}})"), kind); },
        ErrorCode::invalid_field, "model_rate_limits.m.rmp");
}

BOOST_AUTO_TEST_CASE(representations_never_carry_the_hash) {
  ez::db::KeyRow k;
  k.id = 3;
  k.master_id = 1;
  k.token_hash = std::string(64, 'a');
  k.key_prefix = "ezk_abcd";
  k.status = "active";
  k.issued_by = "admin";
  const Json::Value j = ez::db::to_json(k);
  BOOST_TEST(!j.isMember("token_hash"));
  BOOST_TEST(!j.isMember("key"));
  BOOST_TEST(j["key_prefix"].asString() == "ezk_abcd");
  BOOST_TEST(j["expires_at"].isNull());
  for (const auto& name : j.getMemberNames())
    BOOST_TEST(j[name].toStyledString().find(k.token_hash) == std::string::npos);

  ez::db::MasterRow m;
  m.id = 1;
  m.key_prefix = "ezm_abcd";
  const Json::Value mj = ez::db::to_json(m);
  BOOST_TEST(!mj.isMember("key_hash"));
  BOOST_TEST(!mj.isMember("master_key"));
  BOOST_TEST(mj["key_prefix"].asString() == "ezm_abcd");
}

BOOST_AUTO_TEST_CASE(key_quota_fields) {
  const KeyFields f = parse_key_fields(
      parse(R"({"quota_limit": 5000, "quota_used": 12, "unlimited_quota": false})"),
      KeyBody::update);
  BOOST_TEST(f.quota_limit.value_or(-1) == 5000);
  BOOST_TEST(f.quota_used.value_or(-1) == 12);
  BOOST_TEST(!f.unlimited_quota.value_or(true));
  expect_error([] { (void)parse_key_fields(parse(R"({"quota_limit": -1})"), KeyBody::update); },
               ErrorCode::invalid_field, "quota_limit");
  expect_error([] { (void)parse_key_fields(parse(R"({"quota_used": 1.5})"), KeyBody::update); },
               ErrorCode::invalid_field, "quota_used");
  expect_error(
      [] { (void)parse_key_fields(parse(R"({"unlimited_quota": "yes"})"), KeyBody::update); },
      ErrorCode::invalid_field, "unlimited_quota");
  // status_reason is read-only: a GET result can be sent back.
  BOOST_CHECK_NO_THROW(
      (void)parse_key_fields(parse(R"({"status_reason": "expired"})"), KeyBody::update));
}

BOOST_AUTO_TEST_SUITE_END()
