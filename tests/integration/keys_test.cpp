// Masters, client keys and master self-service through the real stack (nginx ->
// FastCGI workers -> PostgreSQL/Redis): every route, the auth matrix, rotation,
// the max_child_keys limit under concurrent issuance, pagination and errors.
#define BOOST_TEST_MODULE keys
#include <json/reader.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "api/auth.h"
#include "http/response.h"
#include "support/stack.h"

using ez::it::Auth;
using ez::it::describe;
using ez::it::HttpResult;
using ez::it::js;
using ez::it::stack;
using ez::it::unique;

namespace {

Json::Value obj(std::initializer_list<std::pair<const char*, Json::Value>> fields) {
  Json::Value o(Json::objectValue);
  for (const auto& [k, v] : fields) o[k] = v;
  return o;
}

Json::Value arr(std::initializer_list<const char*> items) {
  Json::Value a(Json::arrayValue);
  for (const char* i : items) a.append(i);
  return a;
}

// POST /admin/masters; returns the 201 body (with master_key).
Json::Value create_master(Json::Value body = Json::Value(Json::objectValue)) {
  if (!body.isMember("name")) body["name"] = unique("master");
  auto r = stack().http("POST", "/admin/masters", js(body));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  return r.json();
}

std::string id_of(const Json::Value& v) {
  return std::to_string(v["id"].asInt64());
}

// POST /admin/masters/{id}/keys; returns the 201 body (with key).
Json::Value create_key(const Json::Value& master,
                       Json::Value body = Json::Value(Json::objectValue)) {
  auto r = stack().http("POST", "/admin/masters/" + id_of(master) + "/keys", js(body));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  return r.json();
}

Json::Value parse_text(const std::string& text) {
  Json::CharReaderBuilder b;
  std::unique_ptr<Json::CharReader> reader(b.newCharReader());
  Json::Value v;
  std::string errors;
  if (!reader->parse(text.data(), text.data() + text.size(), &v, &errors))
    throw std::runtime_error("bad JSON: " + errors);
  return v;
}

std::string stored_key_hash(const std::string& key_id) {
  auto rows = stack().sql("SELECT token_hash FROM keys WHERE id = " + key_id);
  return rows.empty() ? "" : rows[0][0];
}

void expect_error(const HttpResult& r, int status, const std::string& code,
                  const std::string& field = {}) {
  BOOST_TEST(r.status == status, describe(r));
  Json::Value j;
  BOOST_REQUIRE_NO_THROW(j = r.json());
  BOOST_TEST(j["code"].asString() == code, describe(r));
  BOOST_TEST(j.isMember("error"));
  if (!field.empty()) BOOST_TEST(j["field"].asString() == field, describe(r));
  // Never SQL or internals in an answer.
  BOOST_TEST(r.body.find("SELECT") == std::string::npos);
  BOOST_TEST(r.body.find("violates") == std::string::npos);
}

// Walks every page of `path` (which has no query yet or ends with '?...&'),
// returning all ids in order.
std::vector<int64_t> walk(const std::string& path, int limit, const std::string& token) {
  std::vector<int64_t> ids;
  std::string cursor;
  const char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (int page = 0; page < 100; ++page) {
    std::string p = path + sep + "limit=" + std::to_string(limit);
    if (!cursor.empty()) p += "&cursor=" + cursor;
    auto r = stack().http_token("GET", p, token);
    BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
    auto j = r.json();
    BOOST_TEST(j["items"].size() <= static_cast<unsigned>(limit));
    for (const auto& it : j["items"]) ids.push_back(it["id"].asInt64());
    if (j["next_cursor"].isNull()) return ids;
    cursor = j["next_cursor"].asString();
  }
  BOOST_FAIL("pagination did not end");
  return ids;
}

std::string jwt_secret() {
  std::ifstream in(stack().dir + "/secrets.env");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("EZ_AUTH_JWT_SECRET=", 0) == 0) return line.substr(19);
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(master_crud) {
  auto& s = stack();
  auto m = create_master(obj({{"group", "gold"},
                              {"namespaces", arr({"prod", "dev"})},
                              {"max_child_keys", 7},
                              {"global_qps", 50}}));
  const std::string id = id_of(m);
  const std::string secret = m["master_key"].asString();
  BOOST_TEST(secret.rfind("ezm_", 0) == 0u);
  BOOST_TEST(m["key_prefix"].asString() == secret.substr(0, 8));
  BOOST_TEST(m["group"].asString() == "gold");
  BOOST_TEST(m["default_namespace"].asString() == "prod");
  BOOST_TEST(m["max_child_keys"].asInt() == 7);
  BOOST_TEST(m["global_qps"].asInt() == 50);
  BOOST_TEST(m["status"].asString() == "active");
  BOOST_TEST(m["epoch"].asInt() == 1);
  BOOST_TEST(!m.isMember("key_hash"));
  // Only the digest is stored.
  auto rows = s.sql("SELECT key_hash, key_prefix FROM masters WHERE id = " + id);
  BOOST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0][0] == ez::sha256_hex(secret));
  BOOST_TEST(rows[0][1] == secret.substr(0, 8));

  auto g = s.http("GET", "/admin/masters/" + id);
  BOOST_REQUIRE_MESSAGE(g.status == 200, describe(g));
  BOOST_TEST(!g.json().isMember("master_key"));
  BOOST_TEST(g.json()["name"] == m["name"]);

  // Partial update: untouched fields keep their values; no epoch bump.
  auto u = s.http("PUT", "/admin/masters/" + id, js(obj({{"global_qps", 80}})));
  BOOST_REQUIRE_MESSAGE(u.status == 200, describe(u));
  BOOST_TEST(u.json()["global_qps"].asInt() == 80);
  BOOST_TEST(u.json()["group"].asString() == "gold");
  BOOST_TEST(u.json()["epoch"].asInt() == 1);
  // A GET result sent back as a PUT is accepted (read-only fields ignored).
  auto back = s.http("PUT", "/admin/masters/" + id, js(u.json()));
  BOOST_TEST(back.status == 200, describe(back));
  BOOST_TEST(back.json()["epoch"].asInt() == 1);
  // Same namespace set, other order: no bump.
  u = s.http("PUT", "/admin/masters/" + id, js(obj({{"namespaces", arr({"dev", "prod"})}})));
  BOOST_TEST(u.json()["epoch"].asInt() == 1, describe(u));
  // Suspension bumps the epoch, and so does a namespace change.
  u = s.http("PUT", "/admin/masters/" + id, js(obj({{"status", "suspended"}})));
  BOOST_TEST(u.json()["epoch"].asInt() == 2, describe(u));
  BOOST_TEST(u.json()["status"].asString() == "suspended");
  u = s.http("PUT", "/admin/masters/" + id, js(obj({{"namespaces", arr({"prod", "dev", "qa"})}})));
  BOOST_TEST(u.json()["epoch"].asInt() == 3, describe(u));
  u = s.http("PUT", "/admin/masters/" + id, js(obj({{"status", "active"}})));
  BOOST_TEST(u.json()["epoch"].asInt() == 4, describe(u));
  // Dropping the default namespace without naming a new one is refused.
  expect_error(s.http("PUT", "/admin/masters/" + id, js(obj({{"namespaces", arr({"dev"})}}))), 400,
               "invalid_field", "default_namespace");

  // Listed.
  auto l = s.http("GET", "/admin/masters?limit=500");
  BOOST_REQUIRE_MESSAGE(l.status == 200, describe(l));
  bool found = false;
  const Json::Value listed = l.json();  // keep the document alive while iterating
  for (const auto& it : listed["items"]) found |= it["id"].asInt64() == m["id"].asInt64();
  BOOST_TEST(found);

  // Delete: 204, then 404 everywhere.
  BOOST_TEST(s.http("DELETE", "/admin/masters/" + id).status == 204);
  expect_error(s.http("GET", "/admin/masters/" + id), 404, "not_found");
  expect_error(s.http("DELETE", "/admin/masters/" + id), 404, "not_found");
  expect_error(s.http("PUT", "/admin/masters/" + id, js(obj({{"global_qps", 1}}))), 404,
               "not_found");
  // The deleted master's key no longer authenticates.
  expect_error(s.http_token("GET", "/master/self", secret), 401, "unauthorized");
}

BOOST_AUTO_TEST_CASE(master_errors) {
  auto& s = stack();
  for (const char* bad : {"abc", "0", "-1", "1.5", "99999999999999999999999", "1e3", "%20"})
    expect_error(s.http("GET", std::string("/admin/masters/") + bad), 404, "not_found");
  expect_error(s.http("POST", "/admin/masters", "{"), 400, "bad_json");
  expect_error(s.http("POST", "/admin/masters", "[]"), 400, "bad_json");
  expect_error(s.http("POST", "/admin/masters", "{}"), 400, "missing_field", "name");
  expect_error(s.http("POST", "/admin/masters", R"({"name":"x","max_child_keys":-1})"), 400,
               "invalid_field", "max_child_keys");
  expect_error(
      s.http("POST", "/admin/masters", R"({"name":"x","max_child_keys":99999999999999999999999})"),
      400, "invalid_field", "max_child_keys");
  expect_error(s.http("POST", "/admin/masters", R"({"name":"x","global_qps":1.5})"), 400,
               "invalid_field", "global_qps");
  expect_error(s.http("POST", "/admin/masters", R"({"name":"x","status":"gone"})"), 400,
               "invalid_field", "status");
  expect_error(s.http("POST", "/admin/masters", R"({"name":"x","nmae":"y"})"), 400, "invalid_field",
               "nmae");
  expect_error(s.http("POST", "/admin/masters", R"({"name":"x","namespaces":["a.b"]})"), 400,
               "invalid_field", "namespaces[0]");
  expect_error(s.http("POST", "/admin/masters",
                      R"({"name":"x","namespaces":["a"],"default_namespace":"b"})"),
               400, "invalid_field", "default_namespace");
  expect_error(s.http("POST", "/admin/masters", R"({"name":"bad\u0000nul"})"), 400, "invalid_field",
               "name");
  expect_error(s.http("POST", "/admin/masters", "{\"name\":\"bad\xff utf8\"}"), 400,
               "invalid_field", "name");
  expect_error(s.http("POST", "/admin/masters", js(obj({{"name", std::string(257, 'n')}}))), 400,
               "invalid_field", "name");

  // Duplicate names: 409 naming the field, on create and on rename.
  auto a = create_master();
  auto b = create_master();
  expect_error(s.http("POST", "/admin/masters", js(obj({{"name", a["name"]}}))), 409, "conflict",
               "name");
  expect_error(s.http("PUT", "/admin/masters/" + id_of(b), js(obj({{"name", a["name"]}}))), 409,
               "conflict", "name");

  // Hostile strings round-trip verbatim.
  const std::string hostile =
      unique("Robert'); DROP TABLE masters;-- <script>alert(1)</script> \"q\" \\ é 漢字 🙂");
  auto h = create_master(obj({{"name", hostile}}));
  BOOST_TEST(h["name"].asString() == hostile);
  BOOST_TEST(s.http("GET", "/admin/masters/" + id_of(h)).json()["name"].asString() == hostile);
}

BOOST_AUTO_TEST_CASE(key_crud) {
  auto& s = stack();
  auto m = create_master(obj({{"namespaces", arr({"prod", "dev"})}}));
  const std::string mid = id_of(m);

  // POST /keys (admin, master_id in the body).
  auto r = s.http("POST", "/keys",
                  js(obj({{"master_id", m["id"]},
                          {"name", "ci"},
                          {"namespaces", arr({"prod"})},
                          {"scopes", arr({"chat", "embeddings"})},
                          {"allow_ips", arr({"10.0.0.0/8", "2001:db8::/32"})},
                          {"expires_at", "2031-06-01T12:00:00+02:00"},
                          {"model_rate_limits", obj({{"gpt-4o", obj({{"rpm", 60}})}})}})));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  auto k = r.json();
  const std::string kid = id_of(k);
  const std::string secret = k["key"].asString();
  BOOST_TEST(secret.rfind("ezk_", 0) == 0u);
  BOOST_TEST(k["key_prefix"].asString() == secret.substr(0, 8));
  // One name in the API and in both tables (masters.key_prefix, keys.key_prefix).
  BOOST_TEST(s.sql("SELECT key_prefix FROM keys WHERE id = " + kid).at(0).at(0) ==
             secret.substr(0, 8));
  BOOST_TEST(k["issued_by"].asString() == "admin");
  BOOST_TEST(k["master_id"].asInt64() == m["id"].asInt64());
  BOOST_TEST(k["expires_at"].asString() == "2031-06-01T10:00:00Z");
  BOOST_TEST(k["model_rate_limits"]["gpt-4o"]["rpm"].asInt() == 60);
  BOOST_TEST(k["model_limits"].size() == 0u);
  BOOST_TEST(!k["model_limits_enabled"].asBool());
  BOOST_TEST(k["allow_ips"][1].asString() == "2001:db8::/32");
  BOOST_TEST(k["status"].asString() == "active");
  BOOST_TEST(!k.isMember("token_hash"));
  BOOST_TEST(stored_key_hash(kid) == ez::sha256_hex(secret));
  BOOST_TEST(r.header("location") == "/keys/" + kid);

  // POST /admin/masters/{id}/keys.
  auto k2 = create_key(m, obj({{"name", "second"}}));
  BOOST_TEST(k2["issued_by"].asString() == "admin");
  BOOST_TEST(k2["namespaces"].size() == 0u);  // empty: all of the master's

  auto g = s.http("GET", "/keys/" + kid);
  BOOST_REQUIRE_MESSAGE(g.status == 200, describe(g));
  BOOST_TEST(!g.json().isMember("key"));
  BOOST_TEST(g.json()["name"].asString() == "ci");

  // PUT: partial update.
  auto u = s.http("PUT", "/keys/" + kid,
                  js(obj({{"status", "disabled"},
                          {"namespaces", arr({"prod", "dev"})},
                          {"allow_ips", arr({"192.168.1.7"})}})));
  BOOST_REQUIRE_MESSAGE(u.status == 200, describe(u));
  BOOST_TEST(u.json()["status"].asString() == "disabled");
  BOOST_TEST(u.json()["name"].asString() == "ci");
  BOOST_TEST(u.json()["scopes"].size() == 2u);
  BOOST_TEST(u.json()["expires_at"].asString() == "2031-06-01T10:00:00Z");
  // null clears the expiry.
  u = s.http("PUT", "/keys/" + kid, R"({"expires_at":null})");
  BOOST_TEST(u.json()["expires_at"].isNull(), describe(u));
  // The hash does not change on update.
  BOOST_TEST(stored_key_hash(kid) == ez::sha256_hex(secret));
  // A GET result sent back is accepted.
  BOOST_TEST(s.http("PUT", "/keys/" + kid, js(s.http("GET", "/keys/" + kid).json())).status == 200);

  // Filters.
  auto l = s.http("GET", "/keys?master_id=" + mid + "&status=disabled");
  BOOST_REQUIRE_MESSAGE(l.status == 200, describe(l));
  BOOST_TEST(l.json()["items"].size() == 1u);
  BOOST_TEST(l.json()["items"][0]["id"].asInt64() == k["id"].asInt64());
  l = s.http("GET", "/keys?master_id=" + mid);
  BOOST_TEST(l.json()["items"].size() == 2u);
  l = s.http("GET", "/admin/masters/" + mid + "/keys?status=active");
  BOOST_TEST(l.json()["items"].size() == 1u, describe(l));
  expect_error(s.http("GET", "/keys?master_id=abc"), 400, "bad_request", "master_id");
  expect_error(s.http("GET", "/keys?status=nope"), 400, "bad_request", "status");

  // Delete.
  BOOST_TEST(s.http("DELETE", "/keys/" + kid).status == 204);
  expect_error(s.http("GET", "/keys/" + kid), 404, "not_found");
  expect_error(s.http("DELETE", "/keys/" + kid), 404, "not_found");
  expect_error(s.http("POST", "/keys/" + kid + "/rotate"), 404, "not_found");
  BOOST_TEST(s.sql("SELECT 1 FROM keys WHERE id = " + kid).empty());

  // Deleting the master deletes its keys.
  BOOST_TEST(s.http("DELETE", "/admin/masters/" + mid).status == 204);
  expect_error(s.http("GET", "/keys/" + id_of(k2)), 404, "not_found");
}

BOOST_AUTO_TEST_CASE(key_errors) {
  auto& s = stack();
  auto m = create_master(obj({{"namespaces", arr({"prod"})}}));
  const std::string mid = id_of(m);
  // Unknown master: 400 naming master_id in a body, 404 in a path.
  expect_error(s.http("POST", "/keys", R"({"master_id":999999999})"), 400, "invalid_field",
               "master_id");
  expect_error(s.http("POST", "/keys", R"({})"), 400, "missing_field", "master_id");
  expect_error(s.http("POST", "/keys", R"({"master_id":"1"})"), 400, "invalid_field", "master_id");
  expect_error(s.http("POST", "/admin/masters/999999999/keys", "{}"), 404, "not_found");
  expect_error(s.http("POST", "/admin/masters/x/keys", "{}"), 404, "not_found");
  expect_error(s.http("POST", "/admin/masters/" + mid + "/keys", R"({"master_id":1})"), 400,
               "invalid_field", "master_id");
  const std::string path = "/admin/masters/" + mid + "/keys";
  expect_error(s.http("POST", path, R"({"allow_ips":["10.0.0.1/8"]})"), 400, "invalid_field",
               "allow_ips[0]");
  expect_error(s.http("POST", path, R"({"allow_ips":["300.1.1.1"]})"), 400, "invalid_field",
               "allow_ips[0]");
  expect_error(s.http("POST", path, R"({"expires_at":"2030-13-01T00:00:00Z"})"), 400,
               "invalid_field", "expires_at");
  expect_error(s.http("POST", path, R"({"expires_at":"2030-01-01"})"), 400, "invalid_field",
               "expires_at");
  expect_error(s.http("POST", path, R"({"status":"suspended"})"), 400, "invalid_field", "status");
  expect_error(s.http("POST", path, R"({"model_limits":{"m":1}})"), 400, "invalid_field",
               "model_limits");
  expect_error(s.http("POST", path, R"({"model_rate_limits":{"m":-1}})"), 400, "invalid_field",
               "model_rate_limits.m");
  expect_error(s.http("POST", path, R"({"namespaces":["other"]})"), 400, "invalid_field",
               "namespaces");
  expect_error(s.http("POST", path, R"({"name":"x","key":"ezk_chosen"})"), 400, "invalid_field",
               "key");
  for (const char* bad : {"abc", "0", "-5", "99999999999999999999999"}) {
    expect_error(s.http("GET", std::string("/keys/") + bad), 404, "not_found");
    expect_error(s.http("PUT", std::string("/keys/") + bad, "{}"), 404, "not_found");
    expect_error(s.http("DELETE", std::string("/keys/") + bad), 404, "not_found");
    expect_error(s.http("POST", std::string("/keys/") + bad + "/rotate"), 404, "not_found");
  }

  // A key cannot move; a namespace still used by a key cannot leave the master.
  auto k = create_key(m, obj({{"namespaces", arr({"prod"})}}));
  expect_error(s.http("PUT", "/keys/" + id_of(k), R"({"master_id":999999999})"), 400,
               "invalid_field", "master_id");
  BOOST_TEST(s.http("PUT", "/keys/" + id_of(k), js(obj({{"master_id", m["id"]}}))).status == 200);
  expect_error(s.http("PUT", "/keys/" + id_of(k), R"({"namespaces":["nope"]})"), 400,
               "invalid_field", "namespaces");
  expect_error(s.http("PUT", "/admin/masters/" + mid,
                      R"({"namespaces":["other"],"default_namespace":"other"})"),
               409, "conflict", "namespaces");
  // Once the key lets go of it, the namespace can go.
  BOOST_TEST(s.http("PUT", "/keys/" + id_of(k), R"({"namespaces":[]})").status == 200);
  auto u = s.http("PUT", "/admin/masters/" + mid,
                  R"({"namespaces":["other"],"default_namespace":"other"})");
  BOOST_TEST(u.status == 200, describe(u));
}

BOOST_AUTO_TEST_CASE(rotation) {
  auto& s = stack();
  auto m = create_master();
  auto k = create_key(m);
  const std::string kid = id_of(k);
  const std::string old_secret = k["key"].asString();
  const std::string old_hash = ez::sha256_hex(old_secret);
  BOOST_TEST(stored_key_hash(kid) == old_hash);

  // If the snapshot sync has landed, the key shows up in config:keys.
  const bool synced = s.wait_until(
      [&] {
        return s.redis({"HEXISTS", "config:keys", old_hash}).at(0) == "1";
      },
      3000);
  if (!synced) BOOST_TEST_MESSAGE("config:keys not populated: Redis part of rotation not checked");

  auto r = s.http("POST", "/keys/" + kid + "/rotate");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  auto j = r.json();
  const std::string new_secret = j["key"].asString();
  BOOST_TEST(j["id"].asInt64() == k["id"].asInt64());
  BOOST_TEST(new_secret.rfind("ezk_", 0) == 0u);
  BOOST_TEST(new_secret != old_secret);
  BOOST_TEST(j["key_prefix"].asString() == new_secret.substr(0, 8));
  const std::string new_hash = ez::sha256_hex(new_secret);
  BOOST_TEST(stored_key_hash(kid) == new_hash);
  BOOST_TEST(s.sql("SELECT 1 FROM keys WHERE token_hash = '" + old_hash + "'").empty());
  // Everything else is unchanged.
  auto g = s.http("GET", "/keys/" + kid).json();
  BOOST_TEST(g["name"] == k["name"]);
  BOOST_TEST(g["master_id"] == k["master_id"]);

  if (synced) {
    BOOST_TEST(s.wait_until([&] {
      return s.redis({"HEXISTS", "config:keys", new_hash}).at(0) == "1" &&
             s.redis({"HEXISTS", "config:keys", old_hash}).at(0) == "0";
    }));
  }
  // Rotation and deletion are audited, without secrets.
  auto audit = s.sql(
      "SELECT action, coalesce(before::text, ''), coalesce(after::text, '') FROM audit_log "
      "WHERE resource = 'key' AND resource_id = '" +
      kid + "' ORDER BY id");
  BOOST_REQUIRE(audit.size() == 2u);
  BOOST_TEST(audit[0][0] == "create");
  BOOST_TEST(audit[1][0] == "rotate");
  for (const auto& row : audit)
    for (const auto& cell : row) {
      BOOST_TEST(cell.find(old_secret) == std::string::npos);
      BOOST_TEST(cell.find(new_secret) == std::string::npos);
      BOOST_TEST(cell.find(old_hash) == std::string::npos);
      BOOST_TEST(cell.find(new_hash) == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(max_child_keys_under_concurrent_issuance) {
  auto& s = stack();
  constexpr int kMax = 5;
  constexpr int kThreads = 16;
  auto m = create_master(obj({{"max_child_keys", kMax}}));
  const std::string mid = id_of(m);
  const std::string master_key = m["master_key"].asString();
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        HttpResult r;
        // All three issuing paths race for the same slots.
        switch (i % 3) {
          case 0:
            r = s.http("POST", "/keys", js(obj({{"master_id", m["id"]}})));
            break;
          case 1:
            r = s.http("POST", "/admin/masters/" + mid + "/keys", "{}");
            break;
          default:
            r = s.http_token("POST", "/master/keys", master_key, "{}");
            break;
        }
        if (r.status == 201)
          ++created;
        else if (r.status == 409)
          ++conflicts;
        else
          ++other;
      } catch (...) {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(created.load() == kMax);
  BOOST_TEST(conflicts.load() == kThreads - kMax);
  BOOST_TEST(other.load() == 0);
  BOOST_TEST(s.sql("SELECT count(*) FROM keys WHERE master_id = " + mid)[0][0] ==
             std::to_string(kMax));
  auto r = s.http("POST", "/admin/masters/" + mid + "/keys", "{}");
  expect_error(r, 409, "conflict", "max_child_keys");

  // Raising the limit lets one more through; lowering it below the count is allowed.
  BOOST_TEST(
      s.http("PUT", "/admin/masters/" + mid, js(obj({{"max_child_keys", kMax + 1}}))).status ==
      200);
  BOOST_TEST(s.http("POST", "/admin/masters/" + mid + "/keys", "{}").status == 201);
  BOOST_TEST(s.http("PUT", "/admin/masters/" + mid, R"({"max_child_keys":0})").status == 200);
  expect_error(s.http_token("POST", "/master/keys", master_key, "{}"), 409, "conflict");
}

BOOST_AUTO_TEST_CASE(pagination) {
  auto& s = stack();
  auto m = create_master();
  const std::string mid = id_of(m);
  std::vector<int64_t> made;
  for (int i = 0; i < 7; ++i) made.push_back(create_key(m)["id"].asInt64());
  BOOST_TEST(walk("/admin/masters/" + mid + "/keys", 3, s.admin_token) == made);
  BOOST_TEST(walk("/keys?master_id=" + mid, 2, s.admin_token) == made);
  BOOST_TEST(walk("/master/keys", 4, m["master_key"].asString()) == made);
  BOOST_TEST(walk("/keys?master_id=" + mid, 7, s.admin_token) == made);
  auto p = s.http("GET", "/keys?master_id=" + mid + "&limit=7").json();
  BOOST_TEST(p["next_cursor"].isNull());
  // Masters page too: every master seen once.
  auto ids = walk("/admin/masters", 2, s.admin_token);
  BOOST_TEST(std::set<int64_t>(ids.begin(), ids.end()).size() == ids.size());
  BOOST_TEST(std::count(ids.begin(), ids.end(), m["id"].asInt64()) == 1);

  expect_error(s.http("GET", "/keys?limit=0"), 400, "bad_request", "limit");
  expect_error(s.http("GET", "/keys?limit=100000"), 400, "bad_request", "limit");
  expect_error(s.http("GET", "/keys?cursor=%27;DROP"), 400, "bad_request", "cursor");
  expect_error(s.http("GET", "/admin/masters?limit=x"), 400, "bad_request", "limit");
}

BOOST_AUTO_TEST_CASE(auth_matrix) {
  auto& s = stack();
  auto m = create_master();
  const std::string master_key = m["master_key"].asString();
  auto k = create_key(m);
  const std::string child_key = k["key"].asString();
  const std::string jwt = ez::api::mint_admin_jwt(jwt_secret(), "it", std::chrono::seconds(300));
  const std::string fake_master = "ezm_" + std::string(43, 'A');

  const std::vector<std::pair<std::string, std::string>> admin_routes = {
      {"GET", "/admin/masters"},
      {"POST", "/admin/masters"},
      {"GET", "/admin/masters/" + id_of(m)},
      {"PUT", "/admin/masters/" + id_of(m)},
      {"DELETE", "/admin/masters/" + id_of(m)},
      {"POST", "/admin/masters/" + id_of(m) + "/keys"},
      {"GET", "/admin/masters/" + id_of(m) + "/keys"},
      {"GET", "/keys"},
      {"POST", "/keys"},
      {"GET", "/keys/" + id_of(k)},
      {"PUT", "/keys/" + id_of(k)},
      {"DELETE", "/keys/" + id_of(k)},
      {"POST", "/keys/" + id_of(k) + "/rotate"},
  };
  for (const auto& [method, path] : admin_routes) {
    BOOST_TEST_CONTEXT(method << " " << path) {
      expect_error(s.http(method, path, "{}", Auth::none), 401, "unauthorized");
      expect_error(s.http_token(method, path, "not-a-token", "{}"), 401, "unauthorized");
      expect_error(s.http_token(method, path, fake_master, "{}"), 401, "unauthorized");
      expect_error(s.http_token(method, path, child_key, "{}"), 401, "unauthorized");
      expect_error(s.http_token(method, path, master_key, "{}"), 403, "forbidden");
      expect_error(s.http(method, path, "{}", Auth::internal), 403, "forbidden");
    }
  }
  // Admin JWT works on admin paths.
  auto r = s.http_token("GET", "/admin/masters/" + id_of(m), jwt);
  BOOST_TEST(r.status == 200, describe(r));

  const std::vector<std::pair<std::string, std::string>> self_routes = {
      {"GET", "/master/self"},
      {"GET", "/master/keys"},
      {"POST", "/master/keys"},
      {"GET", "/master/keys/" + id_of(k)},
      {"DELETE", "/master/keys/" + id_of(k)},
  };
  for (const auto& [method, path] : self_routes) {
    BOOST_TEST_CONTEXT(method << " " << path) {
      expect_error(s.http(method, path, "{}", Auth::none), 401, "unauthorized");
      expect_error(s.http_token(method, path, "not-a-token", "{}"), 401, "unauthorized");
      expect_error(s.http_token(method, path, fake_master, "{}"), 401, "unauthorized");
      expect_error(s.http_token(method, path, child_key, "{}"), 401, "unauthorized");
      expect_error(s.http(method, path, "{}", Auth::admin), 403, "forbidden");
      expect_error(s.http(method, path, "{}", Auth::internal), 403, "forbidden");
      expect_error(s.http_token(method, path, jwt, "{}"), 403, "forbidden");
    }
  }
  // Nothing above changed anything.
  BOOST_TEST(s.http("GET", "/keys/" + id_of(k)).status == 200);

  // A suspended master is refused on every self route; reactivated, it works again.
  BOOST_TEST(s.http("PUT", "/admin/masters/" + id_of(m), R"({"status":"suspended"})").status ==
             200);
  for (const auto& [method, path] : self_routes) BOOST_TEST_CONTEXT(method << " " << path) {
      expect_error(s.http_token(method, path, master_key, "{}"), 403, "forbidden");
    }
  BOOST_TEST(s.http("GET", "/keys/" + id_of(k)).status == 200);
  BOOST_TEST(s.http("PUT", "/admin/masters/" + id_of(m), R"({"status":"active"})").status == 200);
  BOOST_TEST(s.http_token("GET", "/master/self", master_key).status == 200);
}

BOOST_AUTO_TEST_CASE(master_self_service) {
  auto& s = stack();
  auto a = create_master(obj({{"namespaces", arr({"ns1", "ns2"})}}));
  auto b = create_master();
  const std::string ka = a["master_key"].asString();
  const std::string kb = b["master_key"].asString();

  auto self = s.http_token("GET", "/master/self", ka);
  BOOST_REQUIRE_MESSAGE(self.status == 200, describe(self));
  BOOST_TEST(self.json()["id"] == a["id"]);
  BOOST_TEST(self.json()["name"] == a["name"]);
  BOOST_TEST(!self.json().isMember("master_key"));
  BOOST_TEST(!self.json().isMember("key_hash"));

  auto r = s.http_token("POST", "/master/keys", ka,
                        js(obj({{"name", "mine"}, {"namespaces", arr({"ns2"})}})));
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  auto own = r.json();
  BOOST_TEST(own["issued_by"].asString() == "master");
  BOOST_TEST(own["master_id"] == a["id"]);
  BOOST_TEST(own["key"].asString().rfind("ezk_", 0) == 0u);
  BOOST_TEST(stored_key_hash(id_of(own)) == ez::sha256_hex(own["key"].asString()));
  // The master cannot choose another owner or a namespace it lacks.
  expect_error(s.http_token("POST", "/master/keys", ka, js(obj({{"master_id", b["id"]}}))), 400,
               "invalid_field", "master_id");
  expect_error(s.http_token("POST", "/master/keys", ka, R"({"namespaces":["zz"]})"), 400,
               "invalid_field", "namespaces");
  expect_error(s.http_token("POST", "/master/keys", ka, "{"), 400, "bad_json");

  auto admin_issued = create_key(a);
  auto other = create_key(b);

  // Lists only its own keys (admin-issued ones included: they belong to it).
  auto l = s.http_token("GET", "/master/keys", ka);
  BOOST_REQUIRE_MESSAGE(l.status == 200, describe(l));
  std::set<int64_t> ids;
  const Json::Value listed = l.json();  // keep the document alive while iterating
  for (const auto& it : listed["items"]) {
    ids.insert(it["id"].asInt64());
    BOOST_TEST(!it.isMember("key"));
  }
  BOOST_TEST(ids == (std::set<int64_t>{own["id"].asInt64(), admin_issued["id"].asInt64()}));
  BOOST_TEST(s.http_token("GET", "/master/keys?status=disabled", ka).json()["items"].size() == 0u);

  // Another master's key: 404, and it survives.
  expect_error(s.http_token("GET", "/master/keys/" + id_of(other), ka), 404, "not_found");
  expect_error(s.http_token("DELETE", "/master/keys/" + id_of(other), ka), 404, "not_found");
  BOOST_TEST(s.http("GET", "/keys/" + id_of(other)).status == 200);
  expect_error(s.http_token("DELETE", "/master/keys/abc", ka), 404, "not_found");

  BOOST_TEST(s.http_token("GET", "/master/keys/" + id_of(own), ka).status == 200);
  BOOST_TEST(s.http_token("DELETE", "/master/keys/" + id_of(own), ka).status == 204);
  expect_error(s.http("GET", "/keys/" + id_of(own)), 404, "not_found");
  expect_error(s.http_token("DELETE", "/master/keys/" + id_of(own), ka), 404, "not_found");

  // Audited as the master.
  auto audit =
      s.sql("SELECT actor, action FROM audit_log WHERE resource = 'key' AND resource_id = '" +
            id_of(own) + "' ORDER BY id");
  BOOST_REQUIRE(audit.size() == 2u);
  BOOST_TEST(audit[0][0] == "master:" + id_of(a));
  BOOST_TEST(audit[0][1] == "create");
  BOOST_TEST(audit[1][1] == "delete");
  (void)kb;
}

BOOST_AUTO_TEST_CASE(writes_are_audited) {
  auto& s = stack();
  auto m = create_master();
  const std::string mid = id_of(m);
  BOOST_TEST(s.http("PUT", "/admin/masters/" + mid, R"({"global_qps":9})").status == 200);
  auto k = create_key(m);
  BOOST_TEST(s.http("DELETE", "/admin/masters/" + mid).status == 204);
  auto rows = s.sql(
      "SELECT actor, action, before IS NULL, after IS NULL FROM audit_log "
      "WHERE resource = 'master' AND resource_id = '" +
      mid + "' ORDER BY id");
  BOOST_REQUIRE(rows.size() == 3u);
  BOOST_TEST(rows[0][0] == "admin-token");
  BOOST_TEST(rows[0][1] == "create");
  BOOST_TEST(rows[0][2] == "t");
  BOOST_TEST(rows[1][1] == "update");
  BOOST_TEST(rows[1][2] == "f");
  BOOST_TEST(rows[1][3] == "f");
  BOOST_TEST(rows[2][1] == "delete");
  BOOST_TEST(rows[2][3] == "t");
  auto before = s.sql(
      "SELECT before->>'global_qps', after->>'global_qps' FROM audit_log "
      "WHERE resource = 'master' AND resource_id = '" +
      mid + "' AND action = 'update'");
  BOOST_TEST(before[0][0] == "0");
  BOOST_TEST(before[0][1] == "9");
  (void)k;
}

BOOST_AUTO_TEST_CASE(redis_follows_deletes) {
  auto& s = stack();
  auto m = create_master();
  auto k1 = create_key(m);
  auto k2 = create_key(m);
  const std::string h1 = ez::sha256_hex(k1["key"].asString());
  const std::string h2 = ez::sha256_hex(k2["key"].asString());
  auto present = [&](const std::string& h) {
    return s.redis({"HEXISTS", "config:keys", h}).at(0) == "1";
  };
  if (!s.wait_until([&] { return present(h1) && present(h2); }, 3000)) {
    BOOST_TEST_MESSAGE("config:keys not populated: snapshot sync not checked");
    return;
  }
  BOOST_TEST(s.redis({"HEXISTS", "config:masters", id_of(m)}).at(0) == "1");
  // Deleting a key removes its field; deleting the master removes the rest.
  BOOST_TEST(s.http("DELETE", "/keys/" + id_of(k1)).status == 204);
  BOOST_TEST(s.wait_until([&] { return !present(h1); }));
  BOOST_TEST(present(h2));
  BOOST_TEST(s.http("DELETE", "/admin/masters/" + id_of(m)).status == 204);
  BOOST_TEST(s.wait_until([&] {
    return !present(h2) && s.redis({"HEXISTS", "config:masters", id_of(m)}).at(0) == "0";
  }));
}

// ---- rotation of masters, master-managed keys, no-op writes, timestamps ----

namespace {

long long snapshot_version() {
  auto v = stack().redis({"HGET", "meta:snapshot", "version"});
  return v.empty() || v[0].empty() ? 0 : std::stoll(v[0]);
}

size_t audit_rows(const std::string& resource, const std::string& id) {
  return stack()
      .sql("SELECT id FROM audit_log WHERE resource = '" + resource + "' AND resource_id = '" + id +
           "'")
      .size();
}

// The key's snapshot in Redis (config:keys), or null when absent within the wait.
Json::Value redis_key(const std::string& hash) {
  Json::Value out;
  (void)stack().wait_until(
      [&] {
        auto v = stack().redis({"HGET", "config:keys", hash});
        if (v.empty() || v[0].empty()) return false;
        HttpResult as_body;
        as_body.body = v[0];
        out = as_body.json();
        return true;
      },
      5000);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(master_key_rotation) {
  auto& s = stack();
  auto m = create_master();
  const std::string id = id_of(m);
  const std::string old_key = m["master_key"].asString();
  auto child = create_key(m);
  BOOST_REQUIRE(s.http_token("GET", "/master/self", old_key).status == 200);
  const long long version = snapshot_version();

  auto r = s.http("POST", "/admin/masters/" + id + "/rotate");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  BOOST_TEST(r.header("cache-control") == "no-store");
  const std::string new_key = r.json()["master_key"].asString();
  BOOST_TEST(new_key.rfind("ezm_", 0) == 0u);
  BOOST_TEST(new_key != old_key);
  BOOST_TEST(r.json()["key_prefix"].asString() == new_key.substr(0, 8));
  BOOST_TEST(s.sql("SELECT key_hash FROM masters WHERE id = " + id)[0][0] ==
             ez::sha256_hex(new_key));
  // The old key stops at once; the new one works; the child keys are untouched.
  expect_error(s.http_token("GET", "/master/self", old_key), 401, "unauthorized");
  BOOST_TEST(s.http_token("GET", "/master/self", new_key).status == 200);
  BOOST_TEST(stored_key_hash(id_of(child)) == ez::sha256_hex(child["key"].asString()));
  // Shown once: never again on a read.
  BOOST_TEST(!s.http("GET", "/admin/masters/" + id).json().isMember("master_key"));
  auto audit = s.sql(
      "SELECT actor, action, after->>'key_prefix' FROM audit_log WHERE resource = "
      "'master' AND resource_id = '" +
      id + "' ORDER BY id DESC LIMIT 1");
  BOOST_TEST(audit[0][0] == "admin-token");
  BOOST_TEST(audit[0][1] == "rotate");
  BOOST_TEST(audit[0][2] == new_key.substr(0, 8));
  BOOST_TEST(r.body.find(ez::sha256_hex(new_key)) == std::string::npos);
  // Pushed: the snapshot version moves and nothing is left in the outbox.
  BOOST_TEST(s.wait_until([&] { return snapshot_version() > version; }, 5000));
  BOOST_TEST(s.wait_until(
      [&] {
        return s
            .sql("SELECT 1 FROM sync_outbox WHERE resource = 'master' AND resource_id = '" + id +
                 "'")
            .empty();
      },
      5000));
  // Errors: unknown master, master key, no auth.
  expect_error(s.http("POST", "/admin/masters/999999999/rotate"), 404, "not_found");
  expect_error(s.http_token("POST", "/admin/masters/" + id + "/rotate", new_key), 403, "forbidden");
  expect_error(s.http("POST", "/admin/masters/" + id + "/rotate", "", Auth::none), 401,
               "unauthorized");
}

BOOST_AUTO_TEST_CASE(master_updates_and_deletes_its_own_keys) {
  auto& s = stack();
  auto a = create_master();
  auto b = create_master();
  const std::string ka = a["master_key"].asString();
  auto own = create_key(a, obj({{"name", "before"}}));
  auto other = create_key(b);
  const std::string path = "/master/keys/" + id_of(own);
  const std::string hash = ez::sha256_hex(own["key"].asString());

  Json::Value limits(Json::objectValue);
  limits["gpt-4o"]["rpm"] = 60;
  auto u = s.http_token(
      "PUT", path, ka,
      js(obj({{"name", "after"}, {"status", "disabled"}, {"model_rate_limits", limits}})));
  BOOST_REQUIRE_MESSAGE(u.status == 200, describe(u));
  BOOST_TEST(u.json()["name"].asString() == "after");
  BOOST_TEST(u.json()["status"].asString() == "disabled");
  BOOST_TEST(u.json()["model_rate_limits"]["gpt-4o"]["rpm"].asInt() == 60);
  // Pushed: the balancer sees the key disabled.
  BOOST_TEST(s.wait_until(
      [&] {
        auto v = s.redis({"HGET", "config:keys", hash});
        return !v.empty() && v[0].find("\"status\":\"disabled\"") != std::string::npos;
      },
      5000));
  auto audit = s.sql(
      "SELECT actor, action FROM audit_log WHERE resource = 'key' AND "
      "resource_id = '" +
      id_of(own) + "' ORDER BY id DESC LIMIT 1");
  BOOST_TEST(audit[0][0] == "master:" + id_of(a));
  BOOST_TEST(audit[0][1] == "update");
  // What stays the admin's, and what is not the master's.
  expect_error(s.http_token("PUT", path, ka, R"({"group":"g2"})"), 400, "invalid_field", "group");
  expect_error(s.http_token("PUT", path, ka, R"({"allow_ips":[]})"), 400, "invalid_field",
               "allow_ips");
  expect_error(s.http_token("PUT", "/master/keys/" + id_of(other), ka, R"({"status":"disabled"})"),
               404, "not_found");
  BOOST_TEST(s.http("GET", "/keys/" + id_of(other)).json()["status"].asString() == "active");
  // DELETE: the field leaves Redis, audited as the master.
  BOOST_TEST(s.http_token("DELETE", path, ka).status == 204);
  BOOST_TEST(s.wait_until(
      [&] {
        return s.redis({"HEXISTS", "config:keys", hash}).at(0) == "0";
      },
      5000));
  BOOST_TEST(audit_rows("key", id_of(own)) == 3u);  // create, update, delete
  expect_error(s.http_token("PUT", path, ka, R"({"name":"x"})"), 404, "not_found");
}

// A PUT that changes nothing writes nothing: no audit row, updated_at stays.
BOOST_AUTO_TEST_CASE(no_op_puts_write_nothing) {
  auto& s = stack();
  auto m = create_master(obj({{"namespaces", arr({"a", "b"})}, {"global_qps", 5}}));
  const std::string mid = id_of(m);
  auto k = create_key(m, obj({{"name", "k"},
                              {"allow_ips", arr({"10.0.0.0/8", "::1"})},
                              {"expires_at", "2099-01-01T00:00:00+02:00"}}));
  const std::string kid = id_of(k);
  const size_t master_audit = audit_rows("master", mid), key_audit = audit_rows("key", kid);
  ::usleep(20000);  // so that a bumped updated_at would differ

  // The GET results sent back as they are.
  auto gm = s.http("GET", "/admin/masters/" + mid).json();
  auto pm = s.http("PUT", "/admin/masters/" + mid, js(gm));
  BOOST_REQUIRE_MESSAGE(pm.status == 200, describe(pm));
  BOOST_TEST(pm.json()["updated_at"] == gm["updated_at"]);
  BOOST_TEST(s.http("PUT", "/admin/masters/" + mid, R"({"global_qps":5})").status == 200);
  auto gk = s.http("GET", "/keys/" + kid).json();
  auto pk = s.http("PUT", "/keys/" + kid, js(gk));
  BOOST_REQUIRE_MESSAGE(pk.status == 200, describe(pk));
  BOOST_TEST(pk.json()["updated_at"] == gk["updated_at"]);
  auto own = s.http_token("PUT", "/master/keys/" + kid, m["master_key"].asString(),
                          R"({"name":"k","status":"active"})");
  BOOST_TEST(own.status == 200, describe(own));
  BOOST_TEST(audit_rows("master", mid) == master_audit);
  BOOST_TEST(audit_rows("key", kid) == key_audit);
  BOOST_TEST(s.http("GET", "/keys/" + kid).json()["updated_at"] == gk["updated_at"]);
  // A real change still writes.
  BOOST_TEST(s.http("PUT", "/admin/masters/" + mid, R"({"global_qps":6})").status == 200);
  BOOST_TEST(audit_rows("master", mid) == master_audit + 1);
}

// Timestamps outside what PostgreSQL and the balancer hold are a 400 naming the field.
BOOST_AUTO_TEST_CASE(unrepresentable_and_past_timestamps) {
  auto& s = stack();
  auto m = create_master();
  const std::string mkey = m["master_key"].asString();
  auto k = create_key(m);
  for (const char* t : {"0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59"}) {
    BOOST_TEST_CONTEXT(t) {
      const std::string body = js(obj({{"expires_at", t}}));
      expect_error(s.http("POST", "/admin/masters/" + id_of(m) + "/keys", body), 400,
                   "invalid_field", "expires_at");
      Json::Value with_master = obj({{"expires_at", t}, {"master_id", m["id"]}});
      expect_error(s.http("POST", "/keys", js(with_master)), 400, "invalid_field", "expires_at");
      expect_error(s.http_token("POST", "/master/keys", mkey, body), 400, "invalid_field",
                   "expires_at");
      expect_error(s.http("PUT", "/keys/" + id_of(k), body), 400, "invalid_field", "expires_at");
      const std::string q =
          t[0] == '0' ? "0001-01-01T00%3A00%3A00%2B01%3A00" : "9999-12-31T23%3A59%3A59-23%3A59";
      expect_error(s.http("GET", "/admin/audit?since=" + q), 400, "bad_request", "since");
    }
  }
  // The extremes that are representable work.
  auto far = s.http("PUT", "/keys/" + id_of(k), R"({"expires_at":"9999-12-31T23:59:59Z"})");
  BOOST_TEST(far.status == 200, describe(far));
  BOOST_TEST(far.json()["expires_at"].asString() == "9999-12-31T23:59:59Z");
  // A key born expired is refused; an existing one may be expired now.
  expect_error(s.http("POST", "/admin/masters/" + id_of(m) + "/keys",
                      R"({"expires_at":"2001-01-01T00:00:00Z"})"),
               400, "invalid_field", "expires_at");
  BOOST_TEST(
      s.http("PUT", "/keys/" + id_of(k), R"({"expires_at":"2001-01-01T00:00:00Z"})").status == 200);
}

// A key's group reads the same in the API and in Redis (inherited from its master or its own).
BOOST_AUTO_TEST_CASE(key_group_is_the_same_in_api_and_redis) {
  auto& s = stack();
  auto m = create_master(obj({{"group", "gold"}}));
  auto inherits = create_key(m);
  auto pinned = create_key(m, obj({{"group", "silver"}}));
  BOOST_TEST(inherits["group"].asString() == "gold");
  BOOST_TEST(pinned["group"].asString() == "silver");
  for (const auto* k : {&inherits, &pinned}) {
    const Json::Value api = s.http("GET", "/keys/" + id_of(*k)).json();
    const Json::Value redis = redis_key(ez::sha256_hex((*k)["key"].asString()));
    BOOST_TEST(api["group"].asString() == redis["group"].asString());
  }
  // GET -> PUT keeps the key inheriting: a new group of the master reaches it.
  auto g = s.http("GET", "/keys/" + id_of(inherits)).json();
  BOOST_TEST(s.http("PUT", "/keys/" + id_of(inherits), js(g)).status == 200);
  BOOST_TEST(s.http("PUT", "/admin/masters/" + id_of(m), R"({"group":"platinum"})").status == 200);
  BOOST_TEST(s.http("GET", "/keys/" + id_of(inherits)).json()["group"].asString() == "platinum");
  BOOST_TEST(s.wait_until(
      [&] {
        return redis_key(ez::sha256_hex(inherits["key"].asString()))["group"].asString() ==
               "platinum";
      },
      5000));
  BOOST_TEST(s.http("GET", "/keys/" + id_of(pinned)).json()["group"].asString() == "silver");
}

// New API's convention: model_limits is the allowlist a migrating admin sends,
// and the key snapshot in Redis carries it as a list with its flag.
BOOST_AUTO_TEST_CASE(model_limits_allowlist) {
  auto& s = stack();
  auto m = create_master();
  const std::string path = "/admin/masters/" + id_of(m) + "/keys";
  auto r = s.http("POST", path, R"({"model_limits": ["gpt-4o"]})");
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  auto k = r.json();
  BOOST_TEST(k["model_limits"] == arr({"gpt-4o"}));
  BOOST_TEST(k["model_limits_enabled"].asBool());  // a non-empty list switches it on
  BOOST_TEST(k["model_rate_limits"].isObject());
  BOOST_TEST(!k.isMember("warnings"));
  const std::string hash = ez::sha256_hex(k["key"].asString());
  auto snapshot = [&] {
    auto v = s.redis({"HGET", "config:keys", hash});
    Json::Value j;
    if (!v.empty() && !v[0].empty()) j = parse_text(v[0]);
    return j;
  };
  BOOST_REQUIRE(s.wait_until([&] { return snapshot().isObject(); }, 5000));
  Json::Value snap = snapshot();
  BOOST_TEST(snap["model_limits"] == arr({"gpt-4o"}));
  BOOST_TEST(snap["model_limits_enabled"].asBool());
  BOOST_TEST(snap["model_rate_limits"] == Json::Value(Json::objectValue));

  // PUT: trimmed and deduplicated, rate limits beside it; Redis follows.
  r = s.http("PUT", "/keys/" + id_of(k),
             R"({"model_limits":[" gpt-4o","default.claude","gpt-4o"],)"
             R"("model_rate_limits":{"gpt-4o":{"rpm":60,"tpm":1000}}})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  BOOST_TEST(r.json()["model_limits"] == arr({"gpt-4o", "default.claude"}));
  BOOST_TEST(s.wait_until([&] {
    const auto j = snapshot();
    return j["model_limits"].size() == 2u &&
           j["model_rate_limits"]["gpt-4o"]["tpm"].asInt() == 1000;
  }));

  // Switched on with nothing in it: allowed, and said.
  r = s.http("PUT", "/keys/" + id_of(k), R"({"model_limits":[]})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  BOOST_TEST(r.json()["model_limits_enabled"].asBool());
  BOOST_REQUIRE(r.json()["warnings"].size() == 1u);
  BOOST_TEST(r.json()["warnings"][0].asString().find("model_limits_enabled") != std::string::npos);
  BOOST_TEST(s.wait_until([&] { return snapshot()["model_limits"].size() == 0u; }));
  r = s.http("POST", path, R"({"model_limits":[],"model_limits_enabled":true})");
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  BOOST_TEST(r.json()["warnings"].size() == 1u);

  // Unknown limit names and wrong types are refused on every key path, naming the path.
  const std::string typo = R"({"model_rate_limits":{"gpt-4o":{"rmp":60}}})";
  expect_error(s.http("POST", path, typo), 400, "invalid_field", "model_rate_limits.gpt-4o.rmp");
  expect_error(s.http("PUT", "/keys/" + id_of(k), typo), 400, "invalid_field",
               "model_rate_limits.gpt-4o.rmp");
  expect_error(
      s.http("POST", "/keys",
             R"({"master_id":)" + id_of(m) + R"(,"model_rate_limits":{"gpt-4o":{"rpm":"60"}}})"),
      400, "invalid_field", "model_rate_limits.gpt-4o.rpm");
  expect_error(s.http_token("POST", "/master/keys", m["master_key"].asString(), typo), 400,
               "invalid_field", "model_rate_limits.gpt-4o.rmp");
  expect_error(s.http("POST", path, R"({"model_limits":["ok",7]})"), 400, "invalid_field",
               "model_limits[1]");
  expect_error(s.http("POST", path, R"({"model_limits_enabled":"true"})"), 400, "invalid_field",
               "model_limits_enabled");
  // The master's own keys take the allowlist too.
  r = s.http_token("POST", "/master/keys", m["master_key"].asString(),
                   R"({"model_limits":["gpt-4o-mini"]})");
  BOOST_REQUIRE_MESSAGE(r.status == 201, describe(r));
  BOOST_TEST(r.json()["model_limits_enabled"].asBool());
}

// sql/004 on rows written before it, replayed in a scratch schema of the
// stack's database: a map whose entries carry no limit was an allowlist; any
// other map holds rate limits and moves to model_rate_limits.
BOOST_AUTO_TEST_CASE(migration_004_converts_old_model_limits) {
  auto& s = stack();
  auto file = [](const std::string& name) {
    std::ifstream in(std::string(EZ_SOURCE_DIR) + "/sql/" + name);
    BOOST_REQUIRE_MESSAGE(in, "cannot read sql/" << name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::string schema = "mig004_" + std::to_string(::getpid());
  const std::string in_schema = "SET search_path TO " + schema + "; ";
  (void)s.sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
  (void)s.sql(in_schema + file("001_schema.sql"));
  (void)s.sql(in_schema + file("003_sync.sql"));
  (void)s.sql(in_schema +
              "INSERT INTO masters (name, key_hash, key_prefix) VALUES ('m', repeat('a', 64), 'x');"
              "INSERT INTO keys (master_id, issued_by, token_hash, token_prefix, model_limits) "
              "SELECT 1, 'admin', repeat(c, 64), 'p', v::jsonb FROM (VALUES "
              "('1', '{\"gpt-4o\": {}, \"claude\": {}}'), "
              "('2', '{\"gpt-4o\": {\"rpm\": 60}, \"claude\": {}}'), "
              "('3', '{\"gpt-4o\": 100}'), "
              "('4', '{}')) AS t(c, v);"
              "INSERT INTO bindings (namespace, public_model, route_group, selector_value) "
              "VALUES ('n', 'm', 'g', E' \\u00a0^gpt$\\t')");
  const auto before = s.sql(in_schema + "SELECT pushed_version FROM sync_state");
  (void)s.sql(in_schema + file("004_model_limits_allowlist.sql"));
  const auto rows = s.sql(in_schema +
                          "SELECT substr(token_hash, 1, 1), array_to_json(model_limits)::text, "
                          "model_limits_enabled::text, model_rate_limits::text FROM keys "
                          "ORDER BY token_hash");
  BOOST_REQUIRE(rows.size() == 4u);
  BOOST_TEST(rows[0][1] == R"(["claude","gpt-4o"])");  // allowlist: keys, sorted
  BOOST_TEST(rows[0][2] == "true");
  BOOST_TEST(rows[0][3] == "{}");
  BOOST_TEST(rows[1][1] == "[]");  // one entry has a limit: rate limits, kept whole
  BOOST_TEST(rows[1][2] == "false");
  BOOST_TEST(rows[1][3] == R"({"claude": {}, "gpt-4o": {"rpm": 60}})");
  BOOST_TEST(rows[2][3] == R"({"gpt-4o": 100})");
  BOOST_TEST(rows[2][2] == "false");
  BOOST_TEST(rows[3][1] == "[]");  // empty map: nothing to allow, nothing to limit
  BOOST_TEST(rows[3][2] == "false");
  BOOST_TEST(s.sql(in_schema + "SELECT selector_value FROM bindings")[0][0] == "^gpt$");
  // The syncer rebuilds Redis once in the new shape.
  BOOST_TEST(std::stoll(s.sql(in_schema + "SELECT pushed_version FROM sync_state")[0][0]) >
             std::stoll(before[0][0]));
  (void)s.sql("DROP SCHEMA " + schema + " CASCADE");
}
