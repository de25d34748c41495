// The import planner: create / update / skip per resource, identities, conflicts
// with rows the source did not import, and what the import changes on the way
// (disabled keys, master namespaces, bindings for every group of a provider).
#include "importer/plan.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "api/auth.h"
#include "http/error.h"
#include "support/api_test.h"

using namespace ez::importer;
using ez::http::ErrorCode;
using ez::test::expect_error;

namespace {

ExportFile fixture() {
  std::ifstream in(std::string(EZ_SOURCE_DIR) + "/tests/data/newapi_export.json");
  BOOST_REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  ParseOptions o;
  o.type_map["azure"] = "openai";
  return parse_export(ss.str(), o);
}

SecretMaker counting_secret() {
  auto n = std::make_shared<int>(0);
  return [n] {
    ++*n;
    return ez::domain::IssuedSecret{"ezm_" + std::to_string(*n), std::string(64, 'a' + *n % 6),
                                    "ezm_" + std::to_string(*n)};
  };
}

// What PostgreSQL holds after `plan` was applied (ids made up).
Existing applied(const Plan& plan) {
  Existing e;
  int64_t id = 100;
  for (const auto& p : plan.providers) {
    e.providers[p.ref] = {p.id ? p.id : ++id, p.fingerprint};
    e.provider_names[p.values.name] = e.providers[p.ref].id;
  }
  for (const auto& m : plan.masters) {
    e.masters[m.ref] = {m.id ? m.id : ++id, m.fingerprint};
    e.master_names[m.values.name] = e.masters[m.ref].id;
  }
  for (const auto& k : plan.keys) {
    e.keys[k.ref] = {k.id ? k.id : ++id, k.fingerprint};
    if (!k.token_hash.empty())
      e.token_holders[k.token_hash].push_back(
          {ez::domain::TokenHolderKind::client_key, e.keys[k.ref].id});
  }
  for (const auto& b : plan.bindings)
    e.bindings[binding_identity(b.values)] = {b.id ? b.id : ++id, b.values.selector_type,
                                              b.values.selector_value, b.values.status};
  return e;
}

const PlannedKey& key_with_ref(const Plan& p, const std::string& ref) {
  for (const auto& k : p.keys)
    if (k.ref == ref) return k;
  BOOST_FAIL("no key " << ref);
  throw;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(importer_plan)

BOOST_AUTO_TEST_CASE(first_import_creates_everything) {
  const ExportFile f = fixture();
  const Plan p = make_plan(f, {}, counting_secret());
  BOOST_TEST(p.counts.at("providers").created == 7u);
  BOOST_TEST(p.counts.at("masters").created == 3u);
  BOOST_TEST(p.counts.at("keys").created == 8u);
  BOOST_TEST(p.counts.at("bindings").created == p.bindings.size());
  BOOST_TEST(!p.changes_nothing());
  // The first key of a multi-key channel keeps the channel's identity.
  BOOST_TEST(p.providers[0].ref == "newapi:1");
  BOOST_TEST(p.providers[1].ref == "newapi:1:2");
  BOOST_TEST(p.providers[2].ref == "newapi:1:3");
  BOOST_TEST(p.masters[1].ref == "newapi:2");
  BOOST_TEST(p.masters[0].key_hash.size() == 64u);  // every new master gets a key
  BOOST_TEST(p.provider_groups == (std::vector<std::string>{"default", "vip"}));
}

BOOST_AUTO_TEST_CASE(keys_keep_their_token_and_disable_what_cannot_work) {
  const ExportFile f = fixture();
  const Plan p = make_plan(f, {}, counting_secret());
  const auto& active = key_with_ref(p, "newapi:11");
  BOOST_TEST(active.token_hash == ez::sha256_hex(f.keys[0].token));
  BOOST_TEST(active.key_prefix == f.keys[0].token.substr(0, 8));
  BOOST_TEST(active.values.status == "active");
  BOOST_TEST(active.master_ref == "newapi:1");
  const auto& expired = key_with_ref(p, "newapi:12");
  BOOST_TEST(expired.values.status == "disabled");
  BOOST_TEST(expired.values.status_reason == "expired");
  BOOST_TEST(key_with_ref(p, "newapi:13").values.status_reason == "exhausted");
  const auto& no_token = key_with_ref(p, "newapi:22");
  BOOST_TEST(no_token.values.status == "disabled");
  BOOST_TEST(no_token.values.status_reason == "no_plaintext");
  BOOST_TEST(no_token.token_hash.size() == 64u);  // a random token nobody holds
  bool warned = false;
  for (const auto& w : p.warnings) warned |= w.find("data.keys[4]") != std::string::npos;
  BOOST_TEST(warned);
  const auto& limited = key_with_ref(p, "newapi:21");
  BOOST_TEST(limited.values.model_limits_enabled);
  BOOST_TEST(limited.values.model_limits.size() == 2u);
}

BOOST_AUTO_TEST_CASE(quota_keeps_the_remaining_amount) {
  ImportedKey k;
  KeyImportValues v;
  k.quota_limit = 500000;  // New API's remain_quota
  k.quota_used = 1200;
  convert_quota(k, v);
  BOOST_TEST(!v.unlimited_quota);
  BOOST_TEST(v.quota_limit == 501200);
  BOOST_TEST(v.quota_used == 1200);
  k.quota_limit = -1;
  convert_quota(k, v);
  BOOST_TEST(v.unlimited_quota);
  k.quota_limit = 10;
  k.unlimited_quota = true;
  convert_quota(k, v);
  BOOST_TEST(v.unlimited_quota);
  k = {};
  k.quota_limit = -5;  // overdrawn
  k.quota_used = 7;
  convert_quota(k, v);
  BOOST_TEST(v.quota_limit == 7);
  k.quota_limit = INT64_MAX;
  convert_quota(k, v);
  BOOST_TEST(v.quota_limit == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(masters_gain_the_namespaces_their_keys_use) {
  const Plan p = make_plan(fixture(), {}, counting_secret());
  BOOST_TEST(p.masters[0].values.name == "alice");
  BOOST_TEST(p.masters[0].values.namespaces == (std::vector<std::string>{"default", "vip"}));
  BOOST_TEST(p.masters[0].values.max_child_keys == 2);  // kept, not enforced on import
  bool warned = false;
  for (const auto& w : p.warnings) warned |= w.find("data.masters[0] (alice)") != std::string::npos;
  BOOST_TEST(warned);
}

BOOST_AUTO_TEST_CASE(every_group_of_a_provider_gets_bindings_to_its_group) {
  const Plan p = make_plan(fixture(), {}, counting_secret());
  auto find = [&](const std::string& ns, const std::string& model, const std::string& rg) {
    for (const auto& b : p.bindings)
      if (b.values.ns == ns && b.values.public_model == model && b.values.route_group == rg)
        return &b;
    return static_cast<const PlannedBinding*>(nullptr);
  };
  BOOST_TEST(find("default", "gpt-4o", "default"));
  BOOST_TEST(find("vip", "gpt-4o-mini", "default"));  // openai-main's second group
  BOOST_TEST(find("svip", "gemini-1.5-pro", "vip"));
  BOOST_REQUIRE(find("vip", "gemini-1.5-pro", "vip"));
  BOOST_TEST(find("vip", "gemini-1.5-pro", "vip")->values.status == "disabled");  // the file's
  BOOST_TEST(find("vip", "gpt-4o", "default")->values.selector_value == "gpt-4o");
  size_t n = 0;
  for (const auto& b : p.bindings)
    n += b.values.ns == "default" && b.values.public_model == "gpt-4o";
  BOOST_TEST(n == 1u);  // the same binding from three providers and the file: once
}

BOOST_AUTO_TEST_CASE(second_import_skips_everything_and_a_change_updates_one_row) {
  ExportFile f = fixture();
  const Plan first = make_plan(f, {}, counting_secret());
  const Existing after = applied(first);
  const Plan again = make_plan(f, after, counting_secret());
  BOOST_TEST(again.changes_nothing());
  BOOST_TEST(again.counts.at("keys").skipped == 8u);
  BOOST_TEST(again.counts.at("providers").skipped == 7u);

  f.keys[0].allow_ips = {"10.0.0.0/8"};
  f.providers[2].values.weight = 3;
  f.masters[2].values.status = "active";
  const Plan newer = make_plan(f, after, counting_secret());
  BOOST_TEST(newer.counts.at("keys").updated == 1u);
  BOOST_TEST(newer.counts.at("keys").skipped == 7u);
  BOOST_TEST(newer.counts.at("providers").updated == 1u);
  BOOST_TEST(newer.counts.at("masters").updated == 1u);
  BOOST_TEST(key_with_ref(newer, "newapi:11").id == after.keys.at("newapi:11").id);
  BOOST_TEST(newer.masters[2].key_hash.empty());  // an update keeps the master's key
}

BOOST_AUTO_TEST_CASE(rows_not_imported_from_the_record_are_conflicts) {
  const ExportFile f = fixture();
  Existing e;
  e.provider_names["openai-main-2"] = 7;
  expect_error([&] { (void)make_plan(f, e, counting_secret()); }, ErrorCode::conflict,
               "data.providers[1].name");
  e = {};
  e.master_names["张三"] = 9;
  expect_error([&] { (void)make_plan(f, e, counting_secret()); }, ErrorCode::conflict,
               "data.masters[1].name");
  e = {};
  e.token_holders[f.keys[3].token_hash].push_back({ez::domain::TokenHolderKind::client_key, 5});
  expect_error([&] { (void)make_plan(f, e, counting_secret()); }, ErrorCode::conflict,
               "data.keys[3].original_token");
}

// A token is one credential: a key whose token is a master's key or a configured token
// would let that credential work at the balancer as this key (and store its prefix).
BOOST_AUTO_TEST_CASE(a_token_held_by_another_kind_of_credential_is_a_conflict) {
  using ez::domain::TokenHolderKind;
  const ExportFile f = fixture();
  for (auto kind : {TokenHolderKind::master_key, TokenHolderKind::admin_token,
                    TokenHolderKind::internal_token}) {
    Existing e;
    e.token_holders[f.keys[3].token_hash].push_back({kind, 4});
    try {
      (void)make_plan(f, e, counting_secret());
      BOOST_FAIL("planned a key whose token another credential holds");
    } catch (const ez::Error& err) {
      BOOST_TEST((err.code() == ErrorCode::conflict));
      BOOST_TEST(err.field() == "data.keys[3].original_token");
      BOOST_TEST(std::string(err.what()).find(f.keys[3].token) == std::string::npos);
    }
  }
  // The key this record imported before holds its own token: an update, no conflict.
  const Plan first = make_plan(f, {}, counting_secret());
  BOOST_CHECK_NO_THROW((void)make_plan(f, applied(first), counting_secret()));
}

BOOST_AUTO_TEST_CASE(duplicates_and_dangling_references_name_the_path) {
  ExportFile f = fixture();
  f.keys[5].original_id = f.keys[2].original_id;
  expect_error([&] { (void)make_plan(f, {}, counting_secret()); }, ErrorCode::invalid_field,
               "data.keys[5]._original_id");
  f = fixture();
  f.keys[6].master_ref = "nobody";
  expect_error([&] { (void)make_plan(f, {}, counting_secret()); }, ErrorCode::invalid_field,
               "data.keys[6].master_ref");
  f = fixture();
  f.keys[6].token = f.keys[0].token;
  f.keys[6].token_hash = f.keys[0].token_hash;
  expect_error([&] { (void)make_plan(f, {}, counting_secret()); }, ErrorCode::invalid_field,
               "data.keys[6].original_token");
  f = fixture();
  f.providers[3].values.name = "openai-main";
  expect_error([&] { (void)make_plan(f, {}, counting_secret()); }, ErrorCode::invalid_field,
               "data.providers[3].name");
}

// The import service plans with take_plan (values moved, not copied): it must
// decide exactly what make_plan decides, and free the file's masters and keys.
BOOST_AUTO_TEST_CASE(take_plan_decides_as_make_plan_and_frees_masters_and_keys) {
  const ExportFile f = fixture();
  const Plan copied = make_plan(f, {}, counting_secret(), counting_secret());
  ExportFile consumed = fixture();
  const Plan taken = take_plan(consumed, {}, counting_secret(), counting_secret());
  BOOST_TEST(consumed.keys.empty());
  BOOST_TEST(consumed.masters.empty());
  BOOST_TEST(consumed.providers.size() == f.providers.size());  // bindings are planned from them
  BOOST_REQUIRE(taken.keys.size() == copied.keys.size());
  for (size_t i = 0; i < taken.keys.size(); ++i) {
    BOOST_TEST(taken.keys[i].fingerprint == copied.keys[i].fingerprint);
    BOOST_TEST(taken.keys[i].token_hash == copied.keys[i].token_hash);
    BOOST_TEST(taken.keys[i].values.namespaces == copied.keys[i].values.namespaces);
    BOOST_TEST(taken.keys[i].values.model_limits == copied.keys[i].values.model_limits);
  }
  BOOST_REQUIRE(taken.masters.size() == copied.masters.size());
  for (size_t i = 0; i < taken.masters.size(); ++i)
    BOOST_TEST(taken.masters[i].fingerprint == copied.masters[i].fingerprint);
  BOOST_TEST(taken.bindings.size() == copied.bindings.size());
  BOOST_TEST(taken.warnings == copied.warnings);
}

BOOST_AUTO_TEST_SUITE_END()
