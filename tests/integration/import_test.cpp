// Import of a New API export through the real stack: POST /admin/import and
// `ezapi-ctl import`, with the fixture tests/data/newapi_export.json (multi-key
// and multi-group channels, expired and exhausted tokens, a token without
// plaintext, unicode names, an unknown provider type, exporter warnings).
//
// Audit decision under test: every real run (also one that changes nothing)
// writes exactly one audit row, action "import"; no per-row audit rows.
#define BOOST_TEST_MODULE import
#include <json/reader.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "api/auth.h"
#include "http/response.h"
#include "support/stack.h"

using ez::it::Auth;
using ez::it::describe;
using ez::it::HttpResult;
using ez::it::stack;

namespace {

// A small body cap, so the 413 path is cheap to reach.
constexpr int kBodyCap = 65536;

ez::it::Stack& s() {
  static bool configured = false;
  if (!configured) {
    ez::it::Stack::set_env("EZ_HTTP_MAX_BODY_BYTES", std::to_string(kBodyCap));
    configured = true;
  }
  return stack();
}

std::string fixture_text() {
  std::ifstream in(std::string(EZ_SOURCE_DIR) + "/tests/data/newapi_export.json");
  BOOST_REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Json::Value parse(const std::string& text) {
  Json::Value v;
  std::istringstream in(text);
  in >> v;
  return v;
}

int64_t count(const std::string& sql) {
  return std::stoll(s().sql(sql).at(0).at(0));
}

// Everything an import may touch, as one comparable string.
std::string state(bool with_audit = true) {
  std::string out = with_audit ? s().sql("SELECT count(*) FROM audit_log").at(0).at(0) + "|" : "";
  for (const char* q : {"SELECT count(*) FROM providers", "SELECT count(*) FROM masters",
                        "SELECT count(*) FROM keys", "SELECT count(*) FROM bindings",
                        "SELECT coalesce(max(updated_at)::text, '') FROM keys",
                        "SELECT coalesce(max(updated_at)::text, '') FROM providers",
                        "SELECT coalesce(max(updated_at)::text, '') FROM masters",
                        "SELECT coalesce(max(updated_at)::text, '') FROM bindings"})
    out += s().sql(q).at(0).at(0) + "|";
  return out;
}

HttpResult post_import(const std::string& body, const std::string& query) {
  return s().http("POST", "/admin/import" + query, body, Auth::admin);
}

void expect_counts(const Json::Value& r, const char* resource, int created, int updated,
                   int skipped) {
  BOOST_TEST_CONTEXT(resource) {
    BOOST_TEST(r["counts"][resource]["created"].asInt() == created);
    BOOST_TEST(r["counts"][resource]["updated"].asInt() == updated);
    BOOST_TEST(r["counts"][resource]["skipped"].asInt() == skipped);
  }
}

// `ezapi-ctl import` with this stack's config; returns (exit code, stdout+stderr).
std::pair<int, std::string> ctl_import(const std::string& file, const std::string& args) {
  const std::string cmd = "set -a; . '" + s().dir + "/secrets.env'; EZ_CONFIG_FILE='" + s().dir +
                          "/config.yaml' '" + EZ_BUILD_DIR + "/ezapi-ctl' import '" + file + "' " +
                          args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = ::pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : 128, out};
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = s().dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

// The cases run in order and build on each other (one stack per binary).

BOOST_AUTO_TEST_CASE(unknown_types_and_broken_files_change_nothing) {
  const std::string before = state();
  // The fixture has an "azure" channel: refused with the list, in dry run too.
  auto r = post_import(fixture_text(), "?dry_run=true");
  BOOST_TEST(r.status == 400, describe(r));
  BOOST_TEST(r.json()["field"].asString() == "data.providers[4].type");
  BOOST_TEST(r.json()["error"].asString().find("azure (1 provider)") != std::string::npos);

  // A key without master_ref: the first bad path is named, nothing written.
  Json::Value doc = parse(fixture_text());
  doc["data"]["keys"][3].removeMember("master_ref");
  doc["data"]["keys"][6]["allow_ips"][0] = "not-an-ip";
  r = post_import(ez::it::js(doc), "?map_type=azure:openai");
  BOOST_TEST(r.status == 400, describe(r));
  BOOST_TEST(r.json()["field"].asString() == "data.keys[3].master_ref");
  BOOST_TEST(r.json()["code"].asString() == "missing_field");

  // Valid up to the last key, which names a master that does not exist: the
  // writes of the rows before it must not happen either (all or nothing).
  doc = parse(fixture_text());
  doc["data"]["keys"][7]["master_ref"] = "nobody";
  r = post_import(ez::it::js(doc), "?map_type=azure:openai");
  BOOST_TEST(r.status == 400, describe(r));
  BOOST_TEST(r.json()["field"].asString() == "data.keys[7].master_ref");

  BOOST_TEST(state() == before);
}

BOOST_AUTO_TEST_CASE(dry_run_reports_and_changes_nothing) {
  const std::string before = state();
  auto r = post_import(fixture_text(), "?dry_run=true&map_type=azure:openai");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const Json::Value j = r.json();
  BOOST_TEST(j["dry_run"].asBool());
  expect_counts(j, "providers", 7, 0, 0);
  expect_counts(j, "masters", 3, 0, 0);
  expect_counts(j, "keys", 8, 0, 0);
  BOOST_TEST(j["counts"]["bindings"]["created"].asInt() > 0);
  BOOST_TEST(j["exporter_warnings"].size() == 4u);
  BOOST_TEST(j["warning_count"].asInt() >= 2);  // the key without plaintext, alice's namespaces
  BOOST_TEST(!j.isMember("snapshot"));
  BOOST_TEST(state() == before);
}

BOOST_AUTO_TEST_CASE(real_import_keeps_tokens_working) {
  const int64_t audit_before = count("SELECT count(*) FROM audit_log");
  auto r = post_import(fixture_text(), "?map_type=azure:openai");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const Json::Value j = r.json();
  BOOST_TEST(!j["dry_run"].asBool());
  expect_counts(j, "providers", 7, 0, 0);
  expect_counts(j, "masters", 3, 0, 0);
  expect_counts(j, "keys", 8, 0, 0);
  BOOST_TEST(j["snapshot"]["pushed"].asBool(), describe(r));

  // Every key that was active with a plaintext token authenticates: its sha256
  // is a field of config:keys and the snapshot says active.
  const Json::Value file = parse(fixture_text());
  int active = 0;
  for (const auto& k : file["data"]["keys"]) {
    const std::string token = k["original_token"].asString();
    if (token.empty()) continue;
    const auto got = s().redis({"HGET", "config:keys", ez::sha256_hex(token)});
    BOOST_REQUIRE_MESSAGE(!got.empty() && !got[0].empty(),
                          "no config:keys field for key " << k["_original_id"].asInt());
    const Json::Value snap = parse(got[0]);
    const bool want_active = k["status"].asString() == "active";
    BOOST_TEST(snap["status"].asString() == (want_active ? "active" : "disabled"), got[0]);
    active += want_active;
  }
  BOOST_TEST(active == 4);
  // The token's allowlist reaches the balancer as New API had it.
  const std::string limited = file["data"]["keys"][3]["original_token"].asString();
  const Json::Value snap = parse(s().redis({"HGET", "config:keys", ez::sha256_hex(limited)}).at(0));
  BOOST_TEST(snap["model_limits_enabled"].asBool());
  BOOST_TEST(ez::it::js(snap["model_limits"]) == R"(["gpt-4o","gemini-1.5-pro"])");

  // Keys that cannot work are disabled, with the reason kept.
  auto reason = [](int original_id) {
    return s()
        .sql("SELECT status || '/' || status_reason FROM keys WHERE import_ref = 'newapi:" +
             std::to_string(original_id) + "'")
        .at(0)
        .at(0);
  };
  BOOST_TEST(reason(12) == "disabled/expired");
  BOOST_TEST(reason(13) == "disabled/exhausted");
  BOOST_TEST(reason(22) == "disabled/no_plaintext");
  BOOST_TEST(reason(31) == "disabled/");
  // Quotas kept: New API's remaining 500000 + used 1200.
  BOOST_TEST(s().sql("SELECT quota_limit || '/' || quota_used || '/' || unlimited_quota FROM keys "
                     "WHERE import_ref = 'newapi:11'")
                 .at(0)
                 .at(0) == "501200/1200/false");
  // Names of split channels and unicode names kept; the mapped type applied.
  BOOST_TEST(count("SELECT count(*) FROM providers WHERE name IN ('openai-main', 'openai-main-2', "
                   "'openai-main-3', 'claude-直连', '本地 ollama')") == 5);
  BOOST_TEST(s().sql("SELECT type FROM providers WHERE name = 'azure-東京'").at(0).at(0) ==
             "openai");
  BOOST_TEST(count("SELECT count(*) FROM masters WHERE name = '张三'") == 1);
  // max_child_keys (2 for alice) is not enforced on import, and her count shows her 5 keys.
  BOOST_TEST(count("SELECT count(*) FROM keys k JOIN masters m ON m.id = k.master_id "
                   "WHERE m.name = 'alice'") == 5);
  // Another group of a multi-group channel reaches it through a binding.
  BOOST_TEST(count("SELECT count(*) FROM bindings WHERE namespace = 'svip' AND "
                   "public_model = 'gemini-1.5-pro' AND route_group = 'vip'") == 1);
  // One audit row, by the admin, with the source and the counts.
  BOOST_TEST(count("SELECT count(*) FROM audit_log") == audit_before + 1);
  const auto audit = s().sql(
      "SELECT action, resource, after->'source'->>'type', "
      "after->'counts'->'keys'->>'created', after->'unknown_fields' ? "
      "'data.keys[7].cross_group_retry' "
      "FROM audit_log ORDER BY id DESC LIMIT 1");
  BOOST_TEST(audit.at(0).at(0) == "import");
  BOOST_TEST(audit.at(0).at(1) == "import");
  BOOST_TEST(audit.at(0).at(2) == "newapi");
  BOOST_TEST(audit.at(0).at(3) == "8");
  BOOST_TEST(audit.at(0).at(4) == "t");
}

BOOST_AUTO_TEST_CASE(second_import_changes_nothing) {
  const std::string before_rows = state(false);
  const int64_t audit_before = count("SELECT count(*) FROM audit_log");
  const std::string pushed_before = s().sql("SELECT pushed_version FROM sync_state").at(0).at(0);
  const auto redis_before = s().redis({"HGET", "meta:snapshot", "version"});
  auto r = post_import(fixture_text(), "?map_type=azure:openai");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const Json::Value j = r.json();
  for (const char* res : {"providers", "masters", "keys", "bindings"}) {
    BOOST_TEST(j["counts"][res]["created"].asInt() == 0, res);
    BOOST_TEST(j["counts"][res]["updated"].asInt() == 0, res);
  }
  expect_counts(j, "keys", 0, 0, 8);
  // Only the import event itself is new.
  BOOST_TEST(state(false) == before_rows);
  BOOST_TEST(count("SELECT count(*) FROM audit_log") == audit_before + 1);
  // Nothing changed, so Redis is not rebuilt (a resync of a large import takes
  // seconds): no snapshot in the answer, the same snapshot version in Redis, and
  // Redis not marked stale for the syncer either.
  BOOST_TEST(!j.isMember("snapshot"), describe(r));
  BOOST_TEST(s().redis({"HGET", "meta:snapshot", "version"}) == redis_before);
  BOOST_TEST(s().sql("SELECT pushed_version FROM sync_state").at(0).at(0) == pushed_before);
}

BOOST_AUTO_TEST_CASE(newer_export_updates_what_changed) {
  Json::Value doc = parse(fixture_text());
  doc["data"]["keys"][0]["allow_ips"].append("172.16.0.0/12");
  doc["data"]["providers"][2]["weight"] = 7;
  doc["data"]["masters"][2]["status"] = "active";
  doc["source"]["exported_at"] = "2025-07-01T00:00:00Z";
  auto r = post_import(ez::it::js(doc), "?map_type=azure:openai");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const Json::Value j = r.json();
  expect_counts(j, "keys", 0, 1, 7);
  expect_counts(j, "providers", 0, 1, 6);
  expect_counts(j, "masters", 0, 1, 2);
  BOOST_TEST(s().sql("SELECT weight FROM providers WHERE name = 'openai-main-3'").at(0).at(0) ==
             "7");
  // bob was reactivated: his epoch went up so the balancer re-validates his keys.
  BOOST_TEST(s().sql("SELECT status || '/' || epoch FROM masters WHERE name = 'bob'").at(0).at(0) ==
             "active/2");
  const std::string token = doc["data"]["keys"][0]["original_token"].asString();
  const auto got = s().redis({"HGET", "config:keys", ez::sha256_hex(token)});
  BOOST_REQUIRE(!got.empty());
  BOOST_TEST(got[0].find("172.16.0.0/12") != std::string::npos, got[0]);
}

BOOST_AUTO_TEST_CASE(key_api_sets_quota_and_clears_the_reason) {
  const std::string id =
      s().sql("SELECT id FROM keys WHERE import_ref = 'newapi:12'").at(0).at(0);  // expired
  auto got = s().http("GET", "/keys/" + id);
  BOOST_REQUIRE_MESSAGE(got.status == 200, describe(got));
  Json::Value key = got.json();
  BOOST_TEST(key["status_reason"].asString() == "expired");
  BOOST_TEST(key["quota_limit"].asInt64() == 100);
  // A GET result sent back as a PUT, re-enabled with a new quota.
  key["status"] = "active";
  key["quota_limit"] = 42;
  key["expires_at"] = Json::Value();
  auto put = s().http("PUT", "/keys/" + id, ez::it::js(key));
  BOOST_REQUIRE_MESSAGE(put.status == 200, describe(put));
  BOOST_TEST(put.json()["quota_limit"].asInt64() == 42);
  BOOST_TEST(put.json()["status_reason"].asString() == "");
  // Only the quota changes: not a no-op.
  put = s().http("PUT", "/keys/" + id, R"({"quota_used": 7})");
  BOOST_TEST(put.json()["quota_used"].asInt64() == 7, describe(put));
  BOOST_TEST(s().sql("SELECT quota_used FROM keys WHERE id = " + id).at(0).at(0) == "7");
  put = s().http("PUT", "/keys/" + id, R"({"quota_limit": -1})");
  BOOST_TEST(put.status == 400, describe(put));
  BOOST_TEST(put.json()["field"].asString() == "quota_limit");
}

BOOST_AUTO_TEST_CASE(ctl_import_prints_counts_and_names_bad_paths) {
  const std::string path = write_temp("export.json", fixture_text());
  auto [rc, out] = ctl_import(path, "--dry-run --map-type azure=openai");
  BOOST_TEST(rc == 0, out);
  BOOST_TEST(out.find("dry run") != std::string::npos, out);
  BOOST_TEST(out.find("keys: 0 created, 1 updated, 7 skipped") != std::string::npos, out);
  BOOST_TEST(out.find("exporter warnings (4)") != std::string::npos, out);
  BOOST_TEST(out.find("Channel 'claude-直连'") != std::string::npos, out);

  auto [rc2, out2] = ctl_import(path, "");
  BOOST_TEST(rc2 == 1, out2);
  BOOST_TEST(out2.find("data.providers[4].type") != std::string::npos, out2);

  Json::Value doc = parse(fixture_text());
  doc["data"]["keys"][1]["master_ref"] = 42;
  auto [rc3, out3] = ctl_import(write_temp("bad.json", ez::it::js(doc)), "--map-type azure=openai");
  BOOST_TEST(rc3 == 1, out3);
  BOOST_TEST(out3.find("data.keys[1].master_ref") != std::string::npos, out3);
}

BOOST_AUTO_TEST_CASE(http_body_cap_is_a_413) {
  std::string big = fixture_text();
  big.insert(big.rfind('}'), ",\"padding\":\"" + std::string(kBodyCap, 'x') + "\"");
  auto r = post_import(big, "?dry_run=true");
  BOOST_TEST(r.status == 413, describe(r));
  BOOST_TEST(r.json()["code"].asString() == "payload_too_large", describe(r));
}

BOOST_AUTO_TEST_CASE(only_admins_import) {
  BOOST_TEST(post_import("{}", "").status == 400);
  BOOST_TEST(s().http("POST", "/admin/import", "{}", Auth::none).status == 401);
  BOOST_TEST(s().http("POST", "/admin/import", "{}", Auth::internal).status == 403);
}

// The import writes no outbox row per row: it marks Redis stale in its
// transaction instead, so an import that commits while Redis is down still
// reaches Redis, through the syncer's full resync, once Redis is back (with its
// old data: the stack's Redis keeps an append-only file).
BOOST_AUTO_TEST_CASE(import_while_redis_is_down_reaches_redis_when_it_returns) {
  Json::Value doc = parse(fixture_text());
  Json::Value key = doc["data"]["keys"][0];
  key["_original_id"] = 990001;
  key["original_token"] = "sk-outage-" + ez::it::unique("tok");
  key["status"] = "active";
  doc["data"]["keys"].append(key);
  doc["source"]["exported_at"] = "2025-08-01T00:00:00Z";
  const std::string hash = ez::api::sha256_hex(key["original_token"].asString());

  s().stop("redis");
  auto r = post_import(ez::it::js(doc), "?map_type=azure:openai");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const Json::Value j = r.json();
  BOOST_TEST(j["counts"]["keys"]["created"].asInt() == 1);
  BOOST_TEST(!j["snapshot"]["pushed"].asBool(), describe(r));
  BOOST_TEST(count("SELECT count(*) FROM sync_outbox WHERE resource = 'key'") == 0);

  BOOST_REQUIRE(s().stack_cmd("up") == 0);
  // No request and no resync call: the syncer sees Redis behind PostgreSQL.
  BOOST_TEST(s().wait_until(
      [&] {
        try {
          const auto got = s().redis({"HGET", "config:keys", hash});
          return !got.empty() && !got[0].empty();
        } catch (const std::exception&) {
          return false;  // Redis still starting
        }
      },
      20000));
  BOOST_TEST(s().sql("SELECT pushed_version FROM sync_state").at(0).at(0) ==
             s().redis({"HGET", "meta:snapshot", "version"}).at(0));
}

// A second dry_run, or an empty one, used to import for real (the first value won, and an
// empty one read as false): now a 400 naming it, and nothing is written.
BOOST_AUTO_TEST_CASE(an_ambiguous_dry_run_imports_nothing) {
  const long long audit_before = count("SELECT count(*) FROM audit_log");
  for (const char* q : {"?dry_run=false&dry_run=true", "?dry_run=", "?dry_run=true&limit=1",
                        "?map_type=custom:openai&map_type=custom:anthropic"}) {
    auto r = post_import(fixture_text(), q);
    BOOST_TEST(r.status == 400, q << ": " << describe(r));
  }
  BOOST_TEST(count("SELECT count(*) FROM audit_log") == audit_before);
}

// The audit row of an import holds the file's unknown fields and exporter_build verbatim;
// a NUL or a byte that is not UTF-8 there made its INSERT fail (a 500 after all the work).
// Such characters are stored as U+FFFD.
BOOST_AUTO_TEST_CASE(nul_or_invalid_utf8_in_the_file_never_fails_the_audit_row) {
  std::string text = fixture_text();
  const std::string build = "\"exporter_build\": \"test-fixture\"";
  const auto at = text.find(build);
  BOOST_REQUIRE(at != std::string::npos);
  text.replace(at, build.size(),
               "\"exporter_build\": \"a\\u0000b\", \"unknown_extra\": \"c\xff"
               "d\"");
  auto r = post_import(text, "?map_type=azure:openai");
  BOOST_TEST(r.status == 200, describe(r));
  const auto row =
      s().sql("SELECT after::text FROM audit_log WHERE action = 'import' ORDER BY id DESC LIMIT 1");
  BOOST_REQUIRE(!row.empty());
  BOOST_TEST(row[0][0].find("a\xEF\xBF\xBD"
                            "b") != std::string::npos,
             row[0][0]);
}
