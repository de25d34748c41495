// Providers, models, bindings, feature flags and the audit trail through the real
// stack (nginx -> FastCGI workers -> PostgreSQL/Redis): every route, the auth
// matrix, ugly inputs (never a 5xx), hostile strings verbatim, pagination walks,
// audit rows with masked secrets, and the outbox reaching Redis.
#define BOOST_TEST_MODULE admin_api
#include <Poco/URI.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "http/response.h"
#include "support/stack.h"

using ez::it::Auth;
using ez::it::describe;
using ez::it::HttpResult;
using ez::it::js;
using ez::it::stack;
using ez::it::unique;

namespace {

// Percent-encodes everything but unreserved characters (a path segment or a query value).
std::string enc(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[]% \"<>\\^`{|}", out);
  return out;
}

// The error body contract: JSON with error, code and (when given) field.
void expect_error(const HttpResult& r, int status, const std::string& code,
                  const std::string& field = {}) {
  BOOST_TEST(r.status == status, describe(r));
  Json::Value j;
  BOOST_REQUIRE_NO_THROW(j = r.json());
  BOOST_TEST(j["code"].asString() == code, describe(r));
  BOOST_TEST(!j["error"].asString().empty());
  if (!field.empty()) BOOST_TEST(j["field"].asString() == field, describe(r));
  // Never internals: no SQL keywords or libpq words in a message.
  for (const char* leak : {"SELECT", "INSERT", "UPDATE ", "pqxx", "ERROR:", "violates"})
    BOOST_TEST(r.body.find(leak) == std::string::npos, "leak " << leak << ": " << r.body);
}

Json::Value created(const std::string& path, const Json::Value& body) {
  auto r = stack().http("POST", path, js(body));
  BOOST_REQUIRE_MESSAGE(r.status == 201, path << ": " << describe(r));
  return r.json();
}

Json::Value provider(const std::string& name, const std::string& group = "default",
                     const std::string& type = "openai") {
  Json::Value b(Json::objectValue);
  b["name"] = name;
  b["type"] = type;
  b["group"] = group;
  b["api_key"] = "sk-live-" + name.substr(0, 8) + "-0123456789";
  return created("/providers", b);
}

std::string id_of(const Json::Value& v) {
  return std::to_string(v["id"].asInt64());
}

// Every item of a paginated list, walking next_cursor; checks the page contract.
std::vector<Json::Value> walk(const std::string& path_with_query, int limit) {
  std::vector<Json::Value> all;
  std::string cursor;
  const char sep = path_with_query.find('?') == std::string::npos ? '?' : '&';
  for (int pages = 0; pages < 10000; ++pages) {
    std::string p = path_with_query + sep + "limit=" + std::to_string(limit);
    if (!cursor.empty()) p += "&cursor=" + enc(cursor);
    auto r = stack().http("GET", p);
    BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
    auto j = r.json();
    BOOST_REQUIRE(j["items"].isArray());
    BOOST_REQUIRE(j.isMember("next_cursor"));
    BOOST_TEST(j["items"].size() <= static_cast<unsigned>(limit));
    for (const auto& item : j["items"]) all.push_back(item);
    if (j["next_cursor"].isNull()) return all;
    cursor = j["next_cursor"].asString();
  }
  BOOST_FAIL("pagination did not end");
  return all;
}

// Admin JWT minted by the real CLI with this stack's secret.
std::string ctl_token(const std::string& sub) {
  const std::string cmd = "set -a; . '" + stack().dir + "/secrets.env'; EZ_CONFIG_FILE='" +
                          stack().dir + "/config.yaml' '" + EZ_BUILD_DIR +
                          "/ezapi-ctl' token --ttl 10m --sub '" + sub + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  BOOST_REQUIRE(::pclose(p) == 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// Runs a shell command in an empty environment (PATH only) from /, as a fresh login shell
// would; returns the exit code and what it printed (stdout and stderr).
std::pair<int, std::string> clean_shell(const std::string& script) {
  const std::string cmd =
      "cd / && env -i PATH=/usr/local/bin:/usr/bin:/bin bash -c '" + script + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  BOOST_REQUIRE(p);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Strings that break naive code: quotes, SQL, control characters, other scripts.
const std::vector<std::string> kHostile = {
    "'; DROP TABLE providers; --",
    "Robert\"); DELETE FROM audit_log; --",
    std::string("ctl\x01\x02\x1f\t\nend"),
    "back\\slash \\\" \\u0000-not-a-nul",
    "名前 — Ünïcødé — 😀 — עברית — العربية",
    "{\"json\": [1, 2]} <script>alert(1)</script> %s %n ${x} $(id)",
};

}  // namespace

// ---- auth -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(auth_matrix_on_every_route) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/providers"},
      {"POST", "/providers"},
      {"GET", "/providers/1"},
      {"PUT", "/providers/1"},
      {"DELETE", "/providers/1"},
      {"GET", "/models"},
      {"POST", "/models"},
      {"GET", "/models/a.b"},
      {"PUT", "/models/a.b"},
      {"DELETE", "/models/a.b"},
      {"GET", "/admin/bindings"},
      {"POST", "/admin/bindings"},
      {"GET", "/admin/bindings/1"},
      {"PUT", "/admin/bindings/1"},
      {"DELETE", "/admin/bindings/1"},
      {"GET", "/admin/features"},
      {"PUT", "/admin/features"},
      {"GET", "/admin/audit"},
      {"POST", "/admin/bindings/resolve"}};
  for (const auto& [method, path] : routes) {
    BOOST_TEST_CONTEXT(method << " " << path) {
      auto none = stack().http(method, path, "{}", Auth::none);
      expect_error(none, 401, "unauthorized");
      BOOST_TEST(none.header("www-authenticate").find("Bearer") == 0u);
      expect_error(stack().http(method, path, "{}", Auth::internal), 403, "forbidden");
      expect_error(stack().http_token(method, path, "not-a-token", "{}"), 401, "unauthorized");
      expect_error(stack().http_token(method, path, "a.b.c", "{}"), 401, "unauthorized");
    }
  }
  // A JWT from `ezapi-ctl token` is an admin.
  const std::string jwt = ctl_token("it-admin");
  BOOST_REQUIRE_EQUAL(std::count(jwt.begin(), jwt.end(), '.'), 2);
  auto ok = stack().http_token("GET", "/providers", jwt);
  BOOST_TEST(ok.status == 200, describe(ok));
  // ...and its subject is the audit actor.
  Json::Value b(Json::objectValue);
  b["name"] = unique("jwt-made");
  b["type"] = "openai";
  auto r = stack().http_token("POST", "/providers", jwt, js(b));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  auto audit = stack().http("GET", "/admin/audit?resource=provider&resource_id=" + id_of(r.json()));
  BOOST_REQUIRE(audit.status == 200);
  BOOST_REQUIRE_EQUAL(audit.json()["items"].size(), 1u);
  BOOST_TEST(audit.json()["items"][0]["actor"].asString() == "jwt:it-admin");
  // A tampered JWT is refused.
  std::string bad = jwt;
  bad.back() = bad.back() == 'A' ? 'B' : 'A';
  expect_error(stack().http_token("GET", "/providers", bad), 401, "unauthorized");
}

// The README's `. var/stack.env` is all ezapi-ctl needs: token signs with the stack's
// secret, sync reaches the stack's PostgreSQL and Redis; no secret means no token.
BOOST_AUTO_TEST_CASE(ctl_after_sourcing_stack_env) {
  const std::string env = ". " + stack().dir + "/stack.env; ";
  const std::string ctl = std::string(EZ_BUILD_DIR) + "/ezapi-ctl";
  auto [rc, token] = clean_shell(env + ctl + " token --ttl 5m --sub from-stack-env");
  BOOST_REQUIRE_MESSAGE(rc == 0, token);
  auto r = stack().http_token("GET", "/providers", token);
  BOOST_TEST(r.status == 200, describe(r));
  auto [sync_rc, sync_out] = clean_shell(env + ctl + " sync");
  BOOST_TEST(sync_rc == 0, sync_out);
  BOOST_TEST(sync_out.find("\"version\"") != std::string::npos, sync_out);
  // Without the stack's secret there is only the built-in default: refused, naming the key.
  auto [bare_rc, bare_out] = clean_shell(ctl + " token");
  BOOST_TEST(bare_rc != 0);
  BOOST_TEST(bare_out.find("EZ_AUTH_JWT_SECRET") != std::string::npos, bare_out);
  BOOST_TEST(bare_out.find("eyJ") == std::string::npos, bare_out);  // no token printed
  auto [empty_rc, empty_out] = clean_shell(env + "EZ_AUTH_JWT_SECRET= " + ctl + " token");
  BOOST_TEST(empty_rc != 0, empty_out);
  auto [ttl_rc, ttl_out] = clean_shell(env + ctl + " token --ttl bogus");
  BOOST_TEST(ttl_rc == 2);
  BOOST_TEST(ttl_out.find("15m") != std::string::npos, ttl_out);
}

// ---- providers -------------------------------------------------------------------

// Parallel PUTs that move a provider between groups, and a DELETE racing them: the
// locking lookup once joined provider_groups and answered 404 for a row that existed.
BOOST_AUTO_TEST_CASE(provider_put_delete_race_has_no_false_404) {
  for (int round = 0; round < 20; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      Json::Value b(Json::objectValue);
      b["name"] = unique("race");
      b["type"] = "openai";
      b["group"] = unique("race-g");
      auto created = stack().http("POST", "/providers", js(b));
      BOOST_REQUIRE_MESSAGE(created.status == 201, describe(created));
      const std::string path = "/providers/" + id_of(created.json());
      const bool with_delete = round % 2 == 1;  // even rounds: PUTs alone, all must be 200
      constexpr int kPuts = 6;
      std::vector<int> put_status(kPuts, 0);
      int delete_status = 0;
      std::vector<std::thread> threads;
      for (int i = 0; i < kPuts; ++i)
        threads.emplace_back([&, i] {
          Json::Value u(Json::objectValue);
          u["group"] = "race-" + std::to_string(round) + "-" + std::to_string(i % 3);
          put_status[i] = stack().http("PUT", path, js(u)).status;
        });
      if (with_delete)
        threads.emplace_back([&] { delete_status = stack().http("DELETE", path).status; });
      for (auto& t : threads) t.join();
      for (int i = 0; i < kPuts; ++i)
        BOOST_TEST((put_status[i] == 200 || (with_delete && put_status[i] == 404)),
                   "PUT " << i << " answered " << put_status[i]);
      if (with_delete) {
        BOOST_TEST(delete_status == 204);
        BOOST_TEST(stack().http("GET", path).status == 404);  // it is really gone
      } else {
        BOOST_TEST(stack().http("GET", path).status == 200);
        BOOST_TEST(stack().http("DELETE", path).status == 204);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(provider_crud) {
  Json::Value b(Json::objectValue);
  const std::string name = unique("prov");
  b["name"] = name;
  b["type"] = "  Vertex-Express ";
  b["api_key"] = "sk-abcdef1234567890";
  b["google_project"] = "proj-1";
  b["models"].append("gemini-3-pro-preview");
  b["group"] = unique("grp");
  auto r = stack().http("POST", "/providers", js(b));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  auto p = r.json();
  const std::string id = id_of(p);
  BOOST_TEST(r.header("location") == "/providers/" + id);
  BOOST_TEST(p["name"].asString() == name);
  BOOST_TEST(p["type"].asString() == "vertex-express");
  BOOST_TEST(p["api_key"].asString() == "sk-****7890");  // write-only
  BOOST_TEST(p["google_location"].asString() == "global");
  BOOST_TEST(p["group"].asString() == b["group"].asString());
  BOOST_TEST(p["group_id"].asInt64() > 0);
  BOOST_TEST(p["weight"].asInt() == 1);
  BOOST_TEST(p["priority"].asInt() == 0);
  BOOST_TEST(p["status"].asString() == "active");
  BOOST_TEST(p["auto_ban"].asBool() == true);
  BOOST_TEST(p["models"][0].asString() == "gemini-3-pro-preview");
  BOOST_TEST(!p["created_at"].asString().empty());
  // The group was created on first use.
  BOOST_TEST(stack().sql("SELECT count(*) FROM provider_groups WHERE name = '" +
                         b["group"].asString() + "'")[0][0] == "1");

  auto g = stack().http("GET", "/providers/" + id);
  BOOST_REQUIRE(g.status == 200);
  BOOST_TEST(g.json() == p);

  // PUT is partial: only weight changes; the masked key sent back keeps the stored key.
  Json::Value upd(Json::objectValue);
  upd["weight"] = 7;
  upd["api_key"] = "sk-****7890";
  auto u = stack().http("PUT", "/providers/" + id, js(upd));
  BOOST_REQUIRE_MESSAGE(u.status == 200, describe(u));
  BOOST_TEST(u.json()["weight"].asInt() == 7);
  BOOST_TEST(u.json()["name"].asString() == name);
  BOOST_TEST(u.json()["google_project"].asString() == "proj-1");
  BOOST_TEST(stack().sql("SELECT api_key FROM providers WHERE id = " + id)[0][0] ==
             "sk-abcdef1234567890");
  // A GET result sent back as is changes nothing.
  auto same = stack().http("PUT", "/providers/" + id, u.body);
  BOOST_TEST(same.status == 200, describe(same));
  BOOST_TEST(same.json() == u.json());
  // A new key replaces it.
  upd = Json::Value(Json::objectValue);
  upd["api_key"] = "sk-rotated-key-99999";
  upd["status"] = "disabled";
  u = stack().http("PUT", "/providers/" + id, js(upd));
  BOOST_REQUIRE(u.status == 200);
  BOOST_TEST(u.json()["api_key"].asString() == "sk-****9999");
  BOOST_TEST(u.json()["status"].asString() == "disabled");

  // The audit trail: create + 2 updates (the no-op wrote nothing), secrets masked.
  auto a = stack().http("GET", "/admin/audit?resource=provider&resource_id=" + id);
  BOOST_REQUIRE(a.status == 200);
  auto items = a.json()["items"];
  BOOST_REQUIRE_EQUAL(items.size(), 3u);
  BOOST_TEST(items[0]["action"].asString() == "update");  // newest first
  BOOST_TEST(items[0]["before"]["status"].asString() == "active");
  BOOST_TEST(items[0]["after"]["status"].asString() == "disabled");
  BOOST_TEST(items[2]["action"].asString() == "create");
  BOOST_TEST(items[2]["before"].isNull());
  BOOST_TEST(items[2]["actor"].asString() == "admin-token");
  BOOST_TEST(
      stack().sql(
          "SELECT count(*) FROM audit_log WHERE before::text LIKE '%abcdef123456%'"
          " OR after::text LIKE '%abcdef123456%' OR after::text LIKE '%rotated-key%'")[0][0] ==
      "0");

  // Redis: the outbox pushed the provider snapshot (with the real key, for the balancer).
  BOOST_TEST(stack().wait_until([&] {
    auto v = stack().redis({"HGET", "config:providers", id});
    return !v.empty() && v[0].find("sk-rotated-key-99999") != std::string::npos;
  }));

  auto d = stack().http("DELETE", "/providers/" + id);
  BOOST_TEST(d.status == 204, describe(d));
  BOOST_TEST(d.body.empty());
  expect_error(stack().http("GET", "/providers/" + id), 404, "not_found");
  expect_error(stack().http("DELETE", "/providers/" + id), 404, "not_found");
  expect_error(stack().http("PUT", "/providers/" + id, "{}"), 404, "not_found");
  BOOST_TEST(stack().wait_until([&] {
    auto v = stack().redis({"HGET", "config:providers", id});
    return v.empty() || v[0].empty();
  }));
  a = stack().http("GET", "/admin/audit?resource=provider&resource_id=" + id + "&limit=1");
  BOOST_TEST(a.json()["items"][0]["action"].asString() == "delete");
  BOOST_TEST(a.json()["items"][0]["after"].isNull());
  BOOST_TEST(!a.json()["next_cursor"].isNull());
}

BOOST_AUTO_TEST_CASE(provider_duplicates_and_unknown_ids) {
  const auto p = provider(unique("dup"));
  Json::Value b(Json::objectValue);
  b["name"] = p["name"];
  b["type"] = "openai";
  expect_error(stack().http("POST", "/providers", js(b)), 409, "conflict", "name");
  const auto q = provider(unique("dup2"));
  Json::Value rename(Json::objectValue);
  rename["name"] = p["name"];
  expect_error(stack().http("PUT", "/providers/" + id_of(q), js(rename)), 409, "conflict", "name");
  for (const char* id : {"abc", "-1", "0", "1.5", "99999999999999999999", "9223372036854775807",
                         "9223372036854775808", "%20", "1%20", "%E2%82%AC"}) {
    BOOST_TEST_CONTEXT(id) {
      expect_error(stack().http("GET", std::string("/providers/") + id), 404, "not_found");
      expect_error(stack().http("PUT", std::string("/providers/") + id, "{}"), 404, "not_found");
      expect_error(stack().http("DELETE", std::string("/providers/") + id), 404, "not_found");
    }
  }
}

BOOST_AUTO_TEST_CASE(ugly_provider_bodies_are_400s) {
  const auto p = provider(unique("ugly"));
  const std::string big(1 << 20, 'x');
  struct Case {
    std::string body;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"", "bad_json", ""},
      {"{", "bad_json", ""},
      {"{\"name\":\"x\",\"type\":\"openai\"", "bad_json", ""},
      {"{\"name\":\"x\",}", "bad_json", ""},
      {"[]", "bad_json", ""},
      {"null", "bad_json", ""},
      {"\"just a string\"", "bad_json", ""},
      {"{}garbage", "bad_json", ""},
      {"{\"name\":\"a\",\"name\":\"b\",\"type\":\"openai\"}", "bad_json", ""},
      {"{\"type\":\"openai\"}", "missing_field", "name"},
      {"{\"name\":\"x\"}", "missing_field", "type"},
      {"{\"name\":\"x\",\"type\":\"nope\"}", "invalid_field", "type"},
      {"{\"name\":5,\"type\":\"openai\"}", "invalid_field", "name"},
      {"{\"name\":null,\"type\":\"openai\"}", "invalid_field", "name"},
      {"{\"name\":\"\",\"type\":\"openai\"}", "invalid_field", "name"},
      {"{\"name\":\"" + big + "\",\"type\":\"openai\"}", "invalid_field", "name"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"api_key\":\"" + big + "\"}", "invalid_field",
       "api_key"},
      {"{\"name\":\"a\\u0000b\",\"type\":\"openai\"}", "invalid_field", "name"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"weight\":1e400}", "bad_json", ""},
      {"{\"name\":\"x\",\"type\":\"openai\",\"weight\":99999999999999999999}", "invalid_field",
       "weight"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"weight\":-1}", "invalid_field", "weight"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"weight\":1.5}", "invalid_field", "weight"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"weight\":\"3\"}", "invalid_field", "weight"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"priority\":9223372036854775807}", "invalid_field",
       "priority"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"auto_ban\":\"true\"}", "invalid_field", "auto_ban"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"status\":\"on\"}", "invalid_field", "status"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"models\":\"m\"}", "invalid_field", "models"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"models\":[\"a\",{}]}", "invalid_field", "models[1]"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"base_url\":\"javascript:alert(1)\"}", "invalid_field",
       "base_url"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"group\":\"\"}", "invalid_field", "group"},
      {"{\"name\":\"x\",\"type\":\"openai\",\"wieght\":2}", "invalid_field", "wieght"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.body.substr(0, 120)) {
      expect_error(stack().http("POST", "/providers", c.body), 400, c.code, c.field);
      if (c.code != "missing_field")
        expect_error(stack().http("PUT", "/providers/" + id_of(p), c.body), 400, c.code, c.field);
    }
  }
  // Invalid UTF-8 in a string.
  expect_error(stack().http("POST", "/providers", "{\"name\":\"\xff\xfe\",\"type\":\"openai\"}"),
               400, "invalid_field", "name");
  // None of them wrote anything.
  BOOST_TEST(stack().sql("SELECT count(*) FROM providers WHERE name = 'x'")[0][0] == "0");
  // A body over nginx's cap is 413.
  auto huge = stack().http("POST", "/providers", std::string(9 << 20, ' '));
  BOOST_TEST(huge.status == 413, huge.status);
}

BOOST_AUTO_TEST_CASE(hostile_strings_round_trip_verbatim) {
  const std::string group = unique("g") + " ' \" ; -- 组";
  for (const auto& s : kHostile) {
    BOOST_TEST_CONTEXT(s) {
      Json::Value b(Json::objectValue);
      b["name"] = s + " " + unique("h");
      b["type"] = "custom";
      b["group"] = group;
      b["models"].append(s);
      b["google_project"] = "p";
      auto p = created("/providers", b);
      BOOST_TEST(p["name"].asString() == b["name"].asString());
      BOOST_TEST(p["models"][0].asString() == b["models"][0].asString());
      auto g = stack().http("GET", "/providers/" + id_of(p)).json();
      BOOST_TEST(g["name"].asString() == b["name"].asString());
      BOOST_TEST(g["group"].asString() == group);

      Json::Value m(Json::objectValue);
      std::string model_name = unique("ns") + "." + s;
      std::replace(model_name.begin(), model_name.end(), '/', '_');
      m["name"] = model_name;
      auto mj = created("/models", m);
      BOOST_TEST(mj["name"].asString() == model_name);
      auto mg = stack().http("GET", "/models/" + enc(model_name));
      BOOST_REQUIRE_MESSAGE(mg.status == 200, describe(mg));
      BOOST_TEST(mg.json()["name"].asString() == model_name);
      BOOST_TEST(stack().http("DELETE", "/models/" + enc(model_name)).status == 204);
    }
  }
  // Filtering by the hostile group name finds exactly them.
  auto all = walk("/providers?group=" + enc(group), 4);
  BOOST_TEST(all.size() == kHostile.size());
  // The tables survived.
  BOOST_TEST(stack().sql("SELECT count(*) FROM providers")[0][0] != "0");
}

BOOST_AUTO_TEST_CASE(provider_filters_and_pagination_walk) {
  const std::string group = unique("pg");
  std::vector<std::string> ids;
  for (int i = 0; i < 23; ++i)
    ids.push_back(id_of(provider(unique("page"), group, i % 3 == 0 ? "anthropic" : "openai")));
  // Walk every page size: every item exactly once, in creation order.
  for (int limit : {1, 5, 22, 23, 500}) {
    auto all = walk("/providers?group=" + enc(group), limit);
    std::vector<std::string> got;
    for (const auto& p : all) got.push_back(id_of(p));
    BOOST_TEST(got == ids, "limit " << limit);
  }
  // Items created while walking do not disturb the pages already seen.
  {
    std::vector<std::string> seen;
    auto r = stack().http("GET", "/providers?limit=10&group=" + enc(group)).json();
    for (const auto& p : r["items"]) seen.push_back(id_of(p));
    const std::string late = id_of(provider(unique("late"), group));
    std::string cursor = r["next_cursor"].asString();
    while (!cursor.empty()) {
      auto n =
          stack()
              .http("GET", "/providers?limit=10&group=" + enc(group) + "&cursor=" + enc(cursor))
              .json();
      for (const auto& p : n["items"]) seen.push_back(id_of(p));
      cursor = n["next_cursor"].isNull() ? "" : n["next_cursor"].asString();
    }
    std::set<std::string> unique_seen(seen.begin(), seen.end());
    BOOST_TEST(unique_seen.size() == seen.size());
    BOOST_TEST(seen.size() == ids.size() + 1);
    BOOST_TEST(seen.back() == late);
  }
  auto anth = walk("/providers?type=ANTHROPIC&group=" + enc(group), 50);
  BOOST_TEST(anth.size() == 8u);
  for (const auto& p : anth) BOOST_TEST(p["type"].asString() == "anthropic");
  BOOST_TEST(walk("/providers?status=disabled&group=" + enc(group), 50).empty());
  BOOST_TEST(walk("/providers?group=" + enc(unique("nothing")), 50).empty());

  expect_error(stack().http("GET", "/providers?limit=0"), 400, "bad_request", "limit");
  expect_error(stack().http("GET", "/providers?limit=501"), 400, "bad_request", "limit");
  expect_error(stack().http("GET", "/providers?limit=abc"), 400, "bad_request", "limit");
  expect_error(stack().http("GET", "/providers?limit=99999999999999999999"), 400, "bad_request",
               "limit");
  expect_error(stack().http("GET", "/providers?cursor=garbage!"), 400, "bad_request", "cursor");
  expect_error(stack().http("GET", "/providers?type=nope"), 400, "bad_request", "type");
  expect_error(stack().http("GET", "/providers?status=paused"), 400, "bad_request", "status");
  expect_error(stack().http("GET", "/providers?group=%FF"), 400, "bad_request", "group");
}

// ---- models ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(model_crud) {
  const std::string ns = unique("mns");
  const std::string name = ns + ".gpt 4o:latest+v1";
  Json::Value b(Json::objectValue);
  b["name"] = name;
  b["kind"] = "Chat";
  b["context_window"] = 128000;
  b["cost_per_token"] = 0.0000025;
  b["supports_vision"] = true;
  b["supports_functions"] = true;
  b["max_output_tokens"] = 8192;
  auto r = stack().http("POST", "/models", js(b));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  auto m = r.json();
  BOOST_TEST(m["name"].asString() == name);
  BOOST_TEST(m["namespace"].asString() == ns);
  BOOST_TEST(m["public_model"].asString() == "gpt 4o:latest+v1");
  BOOST_TEST(m["kind"].asString() == "chat");
  BOOST_TEST(m["supports_stream"].asBool() == true);
  BOOST_TEST(m["supports_fim"].asBool() == false);
  BOOST_TEST(m["cost_per_token"].asDouble() == 0.0000025);
  const std::string path = "/models/" + enc(name);
  auto g = stack().http("GET", path);
  BOOST_REQUIRE_MESSAGE(g.status == 200, describe(g));
  BOOST_TEST(g.json() == m);
  BOOST_TEST(stack().wait_until([&] {
    auto v = stack().redis({"HGET", "meta:models", name});
    return !v.empty() && v[0].find("128000") != std::string::npos;
  }));

  Json::Value upd(Json::objectValue);
  upd["supports_fim"] = true;
  upd["max_output_tokens"] = 16384;
  auto u = stack().http("PUT", path, js(upd));
  BOOST_REQUIRE_MESSAGE(u.status == 200, describe(u));
  BOOST_TEST(u.json()["supports_fim"].asBool());
  BOOST_TEST(u.json()["context_window"].asInt() == 128000);
  BOOST_TEST(u.json()["max_output_tokens"].asInt() == 16384);

  // Rename through PUT; the old name is gone (404), and from Redis too.
  const std::string renamed = ns + ".renamed";
  upd = Json::Value(Json::objectValue);
  upd["name"] = renamed;
  u = stack().http("PUT", path, js(upd));
  BOOST_REQUIRE_MESSAGE(u.status == 200, describe(u));
  expect_error(stack().http("GET", path), 404, "not_found");
  BOOST_TEST(stack().http("GET", "/models/" + renamed).status == 200);
  BOOST_TEST(stack().wait_until([&] {
    auto old_v = stack().redis({"HGET", "meta:models", name});
    auto new_v = stack().redis({"HGET", "meta:models", renamed});
    return (old_v.empty() || old_v[0].empty()) && !new_v.empty() && !new_v[0].empty();
  }));

  Json::Value dup(Json::objectValue);
  dup["name"] = renamed;
  expect_error(stack().http("POST", "/models", js(dup)), 409, "conflict", "name");
  // Filters.
  Json::Value e(Json::objectValue);
  e["name"] = ns + ".embed";
  e["kind"] = "embedding";
  (void)created("/models", e);
  BOOST_TEST(walk("/models?namespace=" + enc(ns), 1).size() == 2u);
  auto emb = walk("/models?namespace=" + enc(ns) + "&kind=embedding", 10);
  BOOST_REQUIRE_EQUAL(emb.size(), 1u);
  BOOST_TEST(emb[0]["name"].asString() == ns + ".embed");
  // A namespace that is a prefix of another is not confused with it; % is literal.
  BOOST_TEST(walk("/models?namespace=" + enc(ns.substr(0, ns.size() - 1)), 10).empty());
  BOOST_TEST(walk("/models?namespace=%25", 10).empty());
  expect_error(stack().http("GET", "/models?kind=image"), 400, "bad_request", "kind");

  // Ugly inputs.
  for (const char* body :
       {"{\"name\":\"nodot\"}", "{\"name\":\".x\"}", "{\"name\":\"x.\"}", "{\"name\":\"a/b.c\"}",
        "{\"name\":\"a.b\",\"context_window\":-1}",
        "{\"name\":\"a.b\",\"context_window\":2147483648}",
        "{\"name\":\"a.b\",\"context_window\":99999999999999999999}",
        "{\"name\":\"a.b\",\"cost_per_token\":-1}", "{\"name\":\"a.b\",\"cost_per_token\":\"1\"}",
        "{\"name\":\"a.b\",\"supports_vision\":1}", "{\"name\":\"a.b\",\"kind\":\"image\"}",
        "{\"name\":\"a.b\",\"unknown\":1}", "{\"kind\":\"chat\"}"})
    BOOST_TEST_CONTEXT(body) {
      auto x = stack().http("POST", "/models", body);
      BOOST_TEST(x.status == 400, describe(x));
      BOOST_TEST(!x.json()["field"].asString().empty());
    }
  for (const char* bad : {"nodot", "a%2Fb.c", ".x"})
    expect_error(stack().http("GET", std::string("/models/") + bad), 404, "not_found");
  // A name that is not UTF-8 cannot exist: the path itself is refused, naming it.
  expect_error(stack().http("GET", "/models/%FF.x"), 400, "bad_request", "name");
  expect_error(stack().http("GET", "/models/" + enc(ns + ".missing")), 404, "not_found");

  BOOST_TEST(stack().http("DELETE", "/models/" + renamed).status == 204);
  expect_error(stack().http("DELETE", "/models/" + renamed), 404, "not_found");
  auto a = stack().http("GET", "/admin/audit?resource=model&resource_id=" + enc(renamed));
  BOOST_TEST(a.json()["items"][0]["action"].asString() == "delete");
}

// ---- bindings ----------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(binding_crud) {
  const std::string ns = unique("bns");
  Json::Value b(Json::objectValue);
  b["namespace"] = ns;
  b["public_model"] = "gpt-4o";
  b["route_group"] = "default";
  auto r = stack().http("POST", "/admin/bindings", js(b));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  auto bj = r.json();
  const std::string id = id_of(bj);
  BOOST_TEST(r.header("location") == "/admin/bindings/" + id);
  BOOST_TEST(bj["selector_type"].asString() == "exact");
  BOOST_TEST(bj["selector_value"].asString() == "");
  BOOST_TEST(bj["weight"].asInt() == 1);
  BOOST_TEST(bj["status"].asString() == "active");
  auto fetched = stack().http("GET", "/admin/bindings/" + id).json();
  bj.removeMember("warnings");  // only writes carry warnings
  BOOST_TEST(fetched == bj);
  BOOST_TEST(fetched["resolution"].isMember("ok"));
  expect_error(stack().http("POST", "/admin/bindings", js(b)), 409, "conflict", "route_group");

  Json::Value upd(Json::objectValue);
  upd["selector_type"] = "regex";
  upd["selector_value"] = "^gpt-4o(-\\d{4}-\\d{2}-\\d{2})?$";
  auto u = stack().http("PUT", "/admin/bindings/" + id, js(upd));
  BOOST_REQUIRE_MESSAGE(u.status == 200, describe(u));
  BOOST_TEST(u.json()["selector_value"].asString() == upd["selector_value"].asString());
  BOOST_TEST(u.json()["public_model"].asString() == "gpt-4o");
  // A regex that does not compile is 400, also when only the value changes.
  for (const char* bad : {"(", "[a-", "a{2,1}", "(?<name>x)", "*"}) {
    Json::Value v(Json::objectValue);
    v["selector_value"] = bad;
    expect_error(stack().http("PUT", "/admin/bindings/" + id, js(v)), 400, "invalid_field",
                 "selector_value");
  }
  Json::Value other = b;
  other["route_group"] = unique("rg");
  other["selector_type"] = "regex";
  other["selector_value"] = "([";
  expect_error(stack().http("POST", "/admin/bindings", js(other)), 400, "invalid_field",
               "selector_value");
  other["selector_type"] = "normalize_exact";
  auto second = created("/admin/bindings", other);  // "([" is a fine literal for other types
  BOOST_TEST(walk("/admin/bindings?namespace=" + enc(ns), 1).size() == 2u);
  BOOST_TEST(walk("/admin/bindings?namespace=" + enc(ns) + "&public_model=gpt-4o", 1).size() == 2u);
  BOOST_TEST(walk("/admin/bindings?namespace=" + enc(ns) + "&public_model=other", 1).empty());

  for (const char* body :
       {"{\"public_model\":\"m\",\"route_group\":\"g\"}",
        "{\"namespace\":\"a.b\",\"public_model\":\"m\",\"route_group\":\"g\"}",
        "{\"namespace\":\"n\",\"public_model\":\"m\",\"route_group\":\"g\",\"selector_type\":"
        "\"glob\"}",
        "{\"namespace\":\"n\",\"public_model\":\"m\",\"route_group\":\"g\",\"weight\":-1}",
        "{\"namespace\":\"n\",\"public_model\":\"m\",\"route_group\":\"g\",\"weight\":1e308}",
        "{\"namespace\":\"n\",\"public_model\":\"\",\"route_group\":\"g\"}",
        "{\"namespace\":\"n\",\"public_model\":\"m\",\"route_group\":7}"})
    BOOST_TEST_CONTEXT(body) {
      auto x = stack().http("POST", "/admin/bindings", body);
      BOOST_TEST(x.status == 400, describe(x));
    }
  for (const char* bad : {"x", "0", "-5", "99999999999999999999"})
    expect_error(stack().http("GET", std::string("/admin/bindings/") + bad), 404, "not_found");

  BOOST_TEST(stack().http("DELETE", "/admin/bindings/" + id).status == 204);
  BOOST_TEST(stack().http("DELETE", "/admin/bindings/" + id_of(second)).status == 204);
  expect_error(stack().http("GET", "/admin/bindings/" + id), 404, "not_found");
  auto a = walk("/admin/audit?resource=binding&resource_id=" + id, 50);
  BOOST_REQUIRE_EQUAL(a.size(), 3u);
  BOOST_TEST(a[0]["action"].asString() == "delete");
  BOOST_TEST(a[1]["before"]["selector_type"].asString() == "exact");
  BOOST_TEST(a[1]["after"]["selector_type"].asString() == "regex");
}

// Every binding answer carries its resolution, computed like the snapshot in
// Redis; writes of broken bindings are accepted with warnings; /resolve stores
// nothing; /metrics counts the broken ones.
BOOST_AUTO_TEST_CASE(bindings_say_when_they_are_broken) {
  const std::string group = unique("rgroup");
  const std::string ns = unique("rns");
  Json::Value p1 = provider(unique("res-a"), group);
  Json::Value upd(Json::objectValue);
  upd["models"].append("gpt-4o");
  upd["models"].append("gpt-4o-mini");
  BOOST_REQUIRE(stack().http("PUT", "/providers/" + id_of(p1), js(upd)).status == 200);
  Json::Value p2 = provider(unique("res-b"), group);
  upd["models"] = Json::Value(Json::arrayValue);
  upd["models"].append("openai/GPT-4o");
  BOOST_REQUIRE(stack().http("PUT", "/providers/" + id_of(p2), js(upd)).status == 200);

  Json::Value b(Json::objectValue);
  b["namespace"] = ns;
  b["public_model"] = "gpt-4o";
  b["route_group"] = group;
  b["selector_type"] = "normalize_exact";

  // Resolve without storing.
  auto r = stack().http("POST", "/admin/bindings/resolve", js(b));
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  Json::Value res = r.json()["resolution"];
  BOOST_TEST(res["ok"].asBool());
  BOOST_TEST(r.json()["warnings"].size() == 0u);
  BOOST_REQUIRE(res["candidates"].size() == 1u);
  BOOST_TEST(res["candidates"][0]["route_group"].asString() == group);
  BOOST_TEST(res["candidates"][0]["error"].isNull());
  BOOST_REQUIRE(res["candidates"][0]["providers"].size() == 2u);
  BOOST_TEST(res["candidates"][0]["providers"][0]["provider_id"] == p1["id"]);
  BOOST_TEST(res["candidates"][0]["providers"][0]["provider_name"] == p1["name"]);
  BOOST_TEST(res["candidates"][0]["providers"][0]["upstream"].asString() == "gpt-4o");
  BOOST_TEST(res["candidates"][0]["providers"][1]["upstream"].asString() == "openai/GPT-4o");
  BOOST_TEST(walk("/admin/bindings?namespace=" + enc(ns), 10).empty());  // nothing stored
  // The same validation as POST: RE2's message, the field named.
  Json::Value bad = b;
  bad["selector_type"] = "regex";
  bad["selector_value"] = "gpt\\Z";
  auto e = stack().http("POST", "/admin/bindings/resolve", js(bad));
  expect_error(e, 400, "invalid_field", "selector_value");
  BOOST_TEST(e.body.find("invalid escape sequence") != std::string::npos, describe(e));

  // A broken binding is stored, answered with its resolution and a warning.
  b["selector_type"] = "regex";
  b["selector_value"] = " gpt-4o ";  // trimmed; unanchored: both names of p1 match
  auto c = stack().http("POST", "/admin/bindings", js(b));
  BOOST_REQUIRE_MESSAGE(c.status == 201, describe(c));
  const Json::Value cj = c.json();
  BOOST_TEST(cj["selector_value"].asString() == "gpt-4o");
  BOOST_TEST(!cj["resolution"]["ok"].asBool());
  BOOST_TEST(cj["resolution"]["candidates"][0]["error"].asString() == "config_error");
  BOOST_TEST(cj["resolution"]["candidates"][0]["providers"][0]["error"].asString() == "ambiguous");
  BOOST_REQUIRE(cj["warnings"].size() == 1u);
  BOOST_TEST(cj["warnings"][0].asString().find("gpt-4o-mini") != std::string::npos);
  // What Redis holds says the same.
  const std::string field = ns + ".gpt-4o";
  auto in_redis = [&] {
    auto v = stack().redis({"HGET", "config:bindings", field});
    return v.empty() ? std::string() : v[0];
  };
  BOOST_TEST(stack().wait_until([&] {
    return in_redis().find("\"error\":\"config_error\"") != std::string::npos;
  }),
             in_redis());

  auto metric = [] {
    auto m = stack().http("GET", "/metrics", "", Auth::none);
    const auto at = m.body.find("\nezapi_bindings_broken ");
    if (at == std::string::npos) return int64_t(-1);
    return int64_t(std::stoll(m.body.substr(at + 23)));
  };
  // The gauge is cached per worker for up to 15 s: wait for it to see the broken binding.
  BOOST_TEST(stack().wait_until([&] { return metric() >= 1; }, 20000));

  // Fixed by anchoring: the PUT answers the working resolution, no warnings.
  Json::Value fix(Json::objectValue);
  fix["selector_value"] = "(?i)^(openai/)?gpt-4o$";  // RE2 inline flags are fine
  auto f = stack().http("PUT", "/admin/bindings/" + id_of(cj), js(fix));
  BOOST_REQUIRE_MESSAGE(f.status == 200, describe(f));
  BOOST_TEST(f.json()["resolution"]["ok"].asBool(), describe(f));
  BOOST_TEST(!f.json().isMember("warnings"));
  auto g = stack().http("GET", "/admin/bindings/" + id_of(cj)).json();
  BOOST_TEST(g["resolution"]["candidates"][0]["providers"][1]["upstream"].asString() ==
             "openai/GPT-4o");
  auto listed = walk("/admin/bindings?namespace=" + enc(ns), 10);
  BOOST_REQUIRE(listed.size() == 1u);
  BOOST_TEST(listed[0]["resolution"] == g["resolution"]);
  BOOST_TEST(
      stack().wait_until([&] { return in_redis().find("\"error\":\"\"") != std::string::npos; }),
      in_redis());

  // A route group with no provider: no_provider, with a warning naming it.
  Json::Value lonely(Json::objectValue);
  lonely["namespace"] = ns;
  lonely["public_model"] = "gpt-4o";
  lonely["route_group"] = unique("empty-group");
  auto l = stack().http("POST", "/admin/bindings", js(lonely));
  BOOST_REQUIRE_MESSAGE(l.status == 201, describe(l));
  BOOST_TEST(l.json()["resolution"]["candidates"][0]["error"].asString() == "no_provider");
  BOOST_TEST(l.json()["warnings"][0].asString().find(lonely["route_group"].asString()) !=
             std::string::npos);
}

// ---- features --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(feature_flags_merge) {
  const std::string f1 = unique("dp_flag_a"), f2 = unique("dp_flag_b"), f3 = unique("dp_flag_c");
  Json::Value put(Json::objectValue);
  put[f1] = "redis";
  put[f2] = true;
  put[f3] = 2.5;
  auto r = stack().http("PUT", "/admin/features", js(put));
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  BOOST_TEST(r.json()[f1].asString() == "redis");
  BOOST_TEST(r.json()[f2].asBool() == true);
  BOOST_TEST(r.json()[f3].asDouble() == 2.5);
  // Merge: f1 changes, f2 is deleted, f3 untouched.
  put = Json::Value(Json::objectValue);
  put[f1] = "memory";
  put[f2] = Json::Value();
  r = stack().http("PUT", "/admin/features", js(put));
  BOOST_REQUIRE(r.status == 200);
  auto g = stack().http("GET", "/admin/features").json();
  BOOST_TEST(g[f1].asString() == "memory");
  BOOST_TEST(!g.isMember(f2));
  BOOST_TEST(g[f3].asDouble() == 2.5);
  BOOST_TEST(stack().sql("SELECT value::text FROM feature_flags WHERE name = '" + f1 + "'")[0][0] ==
             "\"memory\"");
  BOOST_TEST(stack().wait_until([&] {
    auto v = stack().redis({"HGET", "meta:features", f1});
    return !v.empty() && v[0].find("memory") != std::string::npos;
  }));
  BOOST_TEST(stack().wait_until([&] {
    auto v = stack().redis({"HEXISTS", "meta:features", f2});
    return !v.empty() && v[0] == "0";
  }));
  // Audit: only the flags that changed.
  auto a = stack().http("GET", "/admin/audit?resource=feature&limit=1").json()["items"][0];
  BOOST_TEST(a["before"][f1].asString() == "redis");
  BOOST_TEST(a["after"][f1].asString() == "memory");
  BOOST_TEST(a["after"][f2].isNull());
  BOOST_TEST(!a["after"].isMember(f3));

  expect_error(stack().http("PUT", "/admin/features", "{\"x\":{\"nested\":1}}"), 400,
               "invalid_field", "x");
  expect_error(stack().http("PUT", "/admin/features", "{\"x\":[1]}"), 400, "invalid_field", "x");
  expect_error(stack().http("PUT", "/admin/features", "{\"bad name\":1}"), 400, "invalid_field",
               "bad name");
  expect_error(stack().http("PUT", "/admin/features", "[1]"), 400, "bad_json");
  expect_error(stack().http("PUT", "/admin/features", "{\"a\":"), 400, "bad_json");
  expect_error(stack().http("PUT", "/admin/features", "{\"a\":1e400}"), 400, "bad_json");
  // Nothing of the rejected bodies was stored.
  BOOST_TEST(!stack().http("GET", "/admin/features").json().isMember("x"));
  auto same = stack().http("PUT", "/admin/features", "{}");
  BOOST_TEST(same.status == 200);
  BOOST_TEST(same.json()[f1].asString() == "memory");
}

// ---- audit ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(audit_filters_and_pages) {
  const std::string jwt = ctl_token("auditor");
  const std::string before = stack().sql(
      "SELECT to_char(now() AT TIME ZONE 'UTC' - interval '1 second', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")[0][0];
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    Json::Value b(Json::objectValue);
    b["name"] = unique("audited");
    b["type"] = "openai";
    auto r = stack().http_token("POST", "/providers", jwt, js(b));
    BOOST_REQUIRE(r.status == 201);
    ids.push_back(id_of(r.json()));
  }
  auto mine = walk("/admin/audit?actor=jwt:auditor&since=" + enc(before), 3);
  BOOST_REQUIRE_EQUAL(mine.size(), ids.size());
  // Newest first, each once.
  for (size_t i = 0; i < ids.size(); ++i)
    BOOST_TEST(mine[i]["resource_id"].asString() == ids[ids.size() - 1 - i]);
  for (const auto& e : mine) {
    BOOST_TEST(e["resource"].asString() == "provider");
    BOOST_TEST(!e["request_id"].asString().empty());
    BOOST_TEST(!e["at"].asString().empty());
  }
  BOOST_TEST(walk("/admin/audit?actor=jwt:auditor&until=" + enc(before), 50).empty());
  BOOST_TEST(walk("/admin/audit?actor=jwt:auditor&since=2999-01-01T00:00:00Z", 50).empty());
  BOOST_TEST(walk("/admin/audit?actor=jwt:auditor&resource=model", 50).empty());
  // The request id the client sent is the one recorded.
  Json::Value b(Json::objectValue);
  b["name"] = unique("rid");
  b["type"] = "openai";
  auto r =
      stack().http("POST", "/providers", js(b), Auth::admin, {{"X-Request-ID", "it-req-12345"}});
  BOOST_REQUIRE(r.status == 201);
  auto e =
      stack().http("GET", "/admin/audit?resource=provider&resource_id=" + id_of(r.json())).json();
  BOOST_TEST(e["items"][0]["request_id"].asString() == "it-req-12345");

  expect_error(stack().http("GET", "/admin/audit?since=yesterday"), 400, "bad_request", "since");
  expect_error(stack().http("GET", "/admin/audit?until=2024-02-30T00:00:00Z"), 400, "bad_request",
               "until");
  expect_error(
      stack().http("GET", "/admin/audit?since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z"),
      400, "bad_request", "since");
  expect_error(stack().http("GET", "/admin/audit?limit=0"), 400, "bad_request", "limit");
}

BOOST_AUTO_TEST_CASE(wrong_methods_are_405) {
  auto r = stack().http("PATCH", "/providers/1", "{}");
  expect_error(r, 405, "method_not_allowed");
  BOOST_TEST(r.header("allow").find("PUT") != std::string::npos);
  expect_error(stack().http("POST", "/admin/audit", "{}"), 405, "method_not_allowed");
  expect_error(stack().http("DELETE", "/admin/features"), 405, "method_not_allowed");
}

// ---- input that must not give a 5xx or silently do nothing --- -------------------------

// Masking cut a UTF-8 character in half: 500 and nothing created.
BOOST_AUTO_TEST_CASE(multibyte_secrets_are_masked_by_character) {
  Json::Value b(Json::objectValue);
  b["name"] = unique("euro");
  b["type"] = "openai";
  b["api_key"] = "ab€defghijklmn";
  auto r = stack().http("POST", "/providers", js(b));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  BOOST_TEST(r.json()["api_key"].asString() == "ab€****klmn");
  const std::string id = id_of(r.json());
  auto audit = stack().sql(
      "SELECT after->>'api_key' FROM audit_log WHERE resource = 'provider' "
      "AND resource_id = '" +
      id + "'");
  BOOST_REQUIRE_EQUAL(audit.size(), 1u);
  BOOST_TEST(audit[0][0] == "ab€****klmn");
  // The masked form sent back keeps the stored key.
  Json::Value u(Json::objectValue);
  u["api_key"] = "ab€****klmn";
  u["weight"] = 3;
  BOOST_TEST(stack().http("PUT", "/providers/" + id, js(u)).status == 200);
  BOOST_TEST(stack().sql("SELECT api_key FROM providers WHERE id = " + id)[0][0] ==
             "ab€defghijklmn");
}

BOOST_AUTO_TEST_CASE(json_comments_are_refused) {
  const std::string name = unique("commented");
  for (const std::string& body : {"{/*x*/\"name\":\"" + name + "\",\"type\":\"openai\"}",
                                  "{\"name\":\"" + name + "\", // x\n\"type\":\"openai\"}"}) {
    BOOST_TEST_CONTEXT(body) {
      expect_error(stack().http("POST", "/providers", body), 400, "bad_json");
      expect_error(stack().http("POST", "/logs", R"({"request_id":"c"/*x*/})", Auth::internal), 400,
                   "bad_json");
    }
  }
  BOOST_TEST(stack().sql("SELECT id FROM providers WHERE name = '" + name + "'").empty());
}

// A typo or a parameter the route does not have is a 400 naming it, not an unfiltered 200.
BOOST_AUTO_TEST_CASE(unknown_query_parameters_are_refused) {
  expect_error(stack().http("GET", "/providers?naem=x"), 400, "bad_request", "naem");
  expect_error(stack().http("GET", "/admin/audit?resource=keys"), 400, "bad_request", "resource");
  expect_error(stack().http("GET", "/admin/audit?resourse=key"), 400, "bad_request", "resourse");
  expect_error(stack().http("GET", "/models?group=x"), 400, "bad_request", "group");
  expect_error(stack().http("GET", "/admin/bindings?model=x"), 400, "bad_request", "model");
  expect_error(stack().http("GET", "/keys?master=1"), 400, "bad_request", "master");
  expect_error(stack().http("GET", "/admin/masters?status=active"), 400, "bad_request", "status");
  BOOST_TEST(stack().http("GET", "/admin/audit?resource=key&limit=1").status == 200);
  BOOST_TEST(stack().http("GET", "/providers?group=x&limit=2").status == 200);
}

// Unknown /logs fields keep the number text; entries the retention pass would drop are refused.
BOOST_AUTO_TEST_CASE(logs_keep_big_numbers_and_refuse_expired_entries) {
  const std::string id = unique("bigint");
  auto r = stack().http(
      "POST", "/logs",
      R"({"request_id":")" + id + R"(","big":123456789012345678901234567890,"price":0.10})",
      Auth::internal);
  BOOST_REQUIRE_MESSAGE(r.status == 202, describe(r));
  std::vector<std::vector<std::string>> rows;
  BOOST_REQUIRE(stack().wait_until(
      [&] {
        rows = stack().sql("SELECT extra->>'big', extra->>'price' FROM logs WHERE request_id = '" +
                           id + "'");
        return !rows.empty();
      },
      30000));
  BOOST_TEST(rows[0][0] == "123456789012345678901234567890");
  BOOST_TEST(rows[0][1] == "0.10");

  auto old = stack().http(
      "POST", "/logs",
      R"([{"request_id":"fresh"},{"request_id":"old","timestamp":"2001-01-01T00:00:00Z"}])",
      Auth::internal);
  expect_error(old, 400, "invalid_field", "[1].timestamp");
  BOOST_TEST(old.body.find("retention") != std::string::npos, describe(old));
}
