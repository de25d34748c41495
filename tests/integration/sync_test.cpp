// Snapshot sync against a real stack (docs/architecture.md, "The Redis contract"): the Redis shapes
// against the contract files, the models checksum, refresh events seen by a SUBSCRIBE, revocation
// visible when the API answers, FLUSHALL + resync byte-identical, convergence after a Redis outage
// without a resync call, and two control planes (two Contexts of this process, each with its own
// connections) writing to one PostgreSQL and Redis.
#define BOOST_TEST_MODULE sync
#include "snapshot/sync.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "../unit/services/snapshot/contract.h"
#include "api/auth.h"
#include "context/context.h"
#include "http/response.h"
#include "snapshot/outbox.h"
#include "support/stack.h"

using ez::it::describe;
using ez::it::HttpResult;
using ez::it::js;
using ez::it::stack;
using ez::it::unique;
using ez::test::joined;
using ez::test::load_contract;
using ez::test::parse_json;
using ez::test::shape_mismatches;

namespace {

Json::Value post(const std::string& path, const Json::Value& body, int want = 201) {
  auto r = stack().http("POST", path, js(body));
  BOOST_REQUIRE_MESSAGE(r.status == want, path << ": " << describe(r));
  return r.json();
}

std::string hget(const std::string& key, const std::string& field) {
  auto r = stack().redis({"HGET", key, field});
  return r.empty() ? std::string() : r[0];
}

std::map<std::string, std::string> hgetall(const std::string& key) {
  auto flat = stack().redis({"HGETALL", key});
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

// A control plane of its own in this process: own PostgreSQL and Redis connections.
std::unique_ptr<ez::context::Context> control_plane() {
  ez::config::Settings s;
  s.pg_dsn = stack().pg_dsn;
  s.redis_host = "127.0.0.1";
  s.redis_port = stack().redis_port;
  s.outbox_replay_ms = 50;
  return std::make_unique<ez::context::Context>(s);
}

// A SUBSCRIBE on dp:config:refresh that collects messages in the background.
class Subscriber {
 public:
  Subscriber() {
    ctx_.reset(redisConnect("127.0.0.1", stack().redis_port));
    BOOST_REQUIRE(ctx_ && !ctx_->err);
    redisReply* r =
        static_cast<redisReply*>(redisCommand(ctx_.get(), "SUBSCRIBE dp:config:refresh"));
    BOOST_REQUIRE(r);
    freeReplyObject(r);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{ctx_->fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;  // wakes up to see stop_
        if (redisBufferRead(ctx_.get()) != REDIS_OK) break;
        void* raw = nullptr;
        while (redisGetReplyFromReader(ctx_.get(), &raw) == REDIS_OK && raw) {
          auto* r = static_cast<redisReply*>(raw);
          if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
            std::lock_guard<std::mutex> lock(mu_);
            messages_.emplace_back(r->element[2]->str, r->element[2]->len);
          }
          freeReplyObject(r);
          raw = nullptr;
        }
      }
    });
  }
  ~Subscriber() {
    stop_ = true;
    thread_.join();
  }
  std::vector<std::string> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  struct Free {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  std::unique_ptr<redisContext, Free> ctx_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> messages_;
};

struct World {
  Json::Value provider, master, key_body;
  std::string key_hash, model, binding_field, group;
};

// A provider, a model, a binding that reaches the provider, a master with one
// key and a feature flag, all through the API.
World make_world() {
  World w;
  w.group = unique("g");
  const std::string ns = unique("ns");
  w.model = ns + ".gpt-4o";
  w.binding_field = w.model;
  Json::Value p(Json::objectValue);
  p["name"] = unique("prov");
  p["type"] = "openai";
  p["base_url"] = "https://api.example.com/v1";
  p["api_key"] = "sk-sync-test";
  p["group"] = w.group;
  p["models"].append("openai/GPT-4o");
  p["models"].append("gpt-4o-mini");
  w.provider = post("/providers", p);
  Json::Value m(Json::objectValue);
  m["name"] = w.model;
  m["context_window"] = 128000;
  m["supports_vision"] = true;
  (void)post("/models", m);
  Json::Value b(Json::objectValue);
  b["namespace"] = ns;
  b["public_model"] = "gpt-4o";
  b["route_group"] = w.group;
  b["selector_type"] = "normalize_exact";
  (void)post("/admin/bindings", b);
  Json::Value ma(Json::objectValue);
  ma["name"] = unique("master");
  ma["namespaces"].append(ns);
  w.master = post("/admin/masters", ma);
  w.key_body = post("/admin/masters/" + std::to_string(w.master["id"].asInt64()) + "/keys",
                    Json::Value(Json::objectValue));
  w.key_hash = ez::sha256_hex(w.key_body["key"].asString());
  auto r = stack().http("PUT", "/admin/features", R"({"dp_state_store_backend":"redis"})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  return w;
}

World& world() {
  static World w = make_world();
  return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE(shapes_match_the_contracts) {
  auto& w = world();
  const auto provider = hget("config:providers", std::to_string(w.provider["id"].asInt64()));
  BOOST_REQUIRE_MESSAGE(!provider.empty(), "provider not in Redis");
  auto diffs = shape_mismatches(load_contract("provider_snapshot.json"), parse_json(provider));
  BOOST_TEST(diffs.empty(), joined(diffs) << " in " << provider);
  BOOST_TEST(parse_json(provider)["group"].asString() == w.group);

  const auto model = hget("meta:models", w.model);
  BOOST_REQUIRE_MESSAGE(!model.empty(), "model not in Redis");
  diffs = shape_mismatches(load_contract("model_snapshot.json"), parse_json(model));
  BOOST_TEST(diffs.empty(), joined(diffs) << " in " << model);

  Json::Value meta(Json::objectValue);
  for (const auto& [f, v] : hgetall("meta:models_meta")) meta[f] = v;
  diffs = shape_mismatches(load_contract("models_meta.json"), meta);
  BOOST_TEST(diffs.empty(), joined(diffs) << " in " << js(meta));
  BOOST_TEST(meta["source"].asString() == "ez-api");

  const auto key = hget("config:keys", w.key_hash);
  BOOST_REQUIRE_MESSAGE(!key.empty(), "key not in Redis under sha256(token)");
  const auto k = parse_json(key);
  for (const char* f : {"id", "master_id", "name", "group", "namespaces", "scopes", "model_limits",
                        "model_limits_enabled", "model_rate_limits", "allow_ips", "expires_at",
                        "status", "issued_by", "master_epoch"})
    BOOST_TEST(k.isMember(f), "key snapshot lacks " << f);
  // New API's convention: the allowlist is a list, the rate limits a map.
  BOOST_TEST(k["model_limits"].isArray());
  BOOST_TEST(k["model_limits_enabled"].isBool());
  BOOST_TEST(k["model_rate_limits"].isObject());
  BOOST_TEST(k["master_id"].asInt64() == w.master["id"].asInt64());
  BOOST_TEST(k["expires_at"].isIntegral());
  BOOST_TEST(k["issued_by"].asString() == "admin");

  const auto master = parse_json(hget("config:masters", std::to_string(w.master["id"].asInt64())));
  for (const char* f : {"id", "name", "group", "namespaces", "default_namespace", "global_qps",
                        "max_child_keys", "status", "epoch"})
    BOOST_TEST(master.isMember(f), "master snapshot lacks " << f);

  const auto binding = parse_json(hget("config:bindings", w.binding_field));
  BOOST_REQUIRE(binding["candidates"].size() == 1u);
  const auto& c = binding["candidates"][0];
  BOOST_TEST(c["error"].asString() == "");
  BOOST_TEST(c["upstreams"][std::to_string(w.provider["id"].asInt64())].asString() ==
             "openai/GPT-4o");
  BOOST_TEST(hget("meta:features", "dp_state_store_backend") == "redis");
}

BOOST_AUTO_TEST_CASE(checksum_covers_meta_models) {
  (void)world();
  std::string text;
  for (const auto& [f, v] : hgetall("meta:models")) text += f + "\n" + v + "\n";
  BOOST_TEST(hget("meta:models_meta", "checksum") == ez::sha256_hex(text));
}

BOOST_AUTO_TEST_CASE(provider_change_recomputes_its_bindings) {
  auto& w = world();
  const std::string pid = std::to_string(w.provider["id"].asInt64());
  Json::Value upd(Json::objectValue);
  upd["models"].append("gpt-4o");
  upd["models"].append("vendor/gpt-4o");  // two names normalize to gpt-4o: ambiguous
  auto r = stack().http("PUT", "/providers/" + pid, js(upd));
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  auto c = parse_json(hget("config:bindings", w.binding_field))["candidates"][0];
  BOOST_TEST(c["error"].asString() == "config_error");
  upd["models"] = Json::Value(Json::arrayValue);
  upd["models"].append("openai/GPT-4o");
  r = stack().http("PUT", "/providers/" + pid, js(upd));
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  c = parse_json(hget("config:bindings", w.binding_field))["candidates"][0];
  BOOST_TEST(c["error"].asString() == "");
  BOOST_TEST(c["upstreams"][pid].asString() == "openai/GPT-4o");
}

BOOST_AUTO_TEST_CASE(refresh_events_reach_a_subscriber) {
  (void)world();
  Subscriber sub;
  Json::Value m(Json::objectValue);
  m["name"] = unique("evns") + ".m";
  (void)post("/models", m);
  BOOST_REQUIRE(stack().wait_until([&] { return !sub.messages().empty(); }, 5000));
  const auto e = parse_json(sub.messages().front());
  BOOST_TEST(e["resource"].asString() == "models");
  BOOST_TEST(e["version"].isString());
  BOOST_TEST(std::stoll(e["version"].asString()) > 0);
  BOOST_TEST(e["active_key"].asString() == "meta:models");
  BOOST_TEST(e["timestamp"].isIntegral());
  BOOST_TEST(e["timestamp"].asInt64() > 1700000000);
  BOOST_TEST(hget("meta:snapshot", "version") >= e["version"].asString());
}

BOOST_AUTO_TEST_CASE(revocation_is_in_redis_when_the_api_answers) {
  auto& w = world();
  const std::string mid = std::to_string(w.master["id"].asInt64());
  auto key = post("/admin/masters/" + mid + "/keys", Json::Value(Json::objectValue));
  const std::string hash = ez::sha256_hex(key["key"].asString());
  const std::string kid = std::to_string(key["id"].asInt64());
  BOOST_TEST(parse_json(hget("config:keys", hash))["status"].asString() == "active");

  auto r = stack().http("PUT", "/keys/" + kid, R"({"status":"disabled"})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  BOOST_TEST(parse_json(hget("config:keys", hash))["status"].asString() == "disabled");

  r = stack().http("DELETE", "/keys/" + kid);
  BOOST_REQUIRE_MESSAGE(r.status == 204 || r.status == 200, describe(r));
  BOOST_TEST(hget("config:keys", hash).empty());

  r = stack().http("PUT", "/admin/masters/" + mid, R"({"status":"suspended"})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const auto m = parse_json(hget("config:masters", mid));
  BOOST_TEST(m["status"].asString() == "suspended");
  // The master's keys carry its epoch: re-pushed with the master.
  BOOST_TEST(parse_json(hget("config:keys", w.key_hash))["master_epoch"].asInt64() ==
             m["epoch"].asInt64());
  r = stack().http("PUT", "/admin/masters/" + mid, R"({"status":"active"})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
}

BOOST_AUTO_TEST_CASE(flushall_then_resync_gives_identical_hashes) {
  (void)world();
  const std::vector<std::string> keys{"config:providers", "config:keys", "config:masters",
                                      "config:bindings",  "meta:models", "meta:features"};
  std::map<std::string, std::map<std::string, std::string>> before;
  for (const auto& k : keys) before[k] = hgetall(k);
  const auto meta_before = hgetall("meta:models_meta");
  const auto version_before = std::stoll(hget("meta:snapshot", "version"));

  (void)stack().redis({"FLUSHALL"});
  auto r = stack().http("POST", "/sync/snapshot", "", ez::it::Auth::internal);
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const auto report = r.json();
  BOOST_TEST(report["counts"]["keys"].asUInt64() == before["config:keys"].size());
  BOOST_TEST(report["duration_ms"].isIntegral());

  for (const auto& k : keys) BOOST_TEST((hgetall(k) == before[k]), k << " differs after resync");
  const auto meta_after = hgetall("meta:models_meta");
  BOOST_TEST(meta_after.at("checksum") == meta_before.at("checksum"));
  BOOST_TEST(std::stoll(hget("meta:snapshot", "version")) > version_before);
}

// A resync over a Redis that still holds the hashes compares them
// field by field and writes only the difference; a hash it cannot patch (a field
// too many, another type) is rebuilt. Either way the result is what a FLUSHALL +
// resync gives.
BOOST_AUTO_TEST_CASE(a_resync_patches_live_hashes_and_rebuilds_what_it_cannot_patch) {
  const World& w = world();
  auto r = stack().http("POST", "/sync/snapshot", "", ez::it::Auth::internal);
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const std::vector<std::string> keys{"config:providers", "config:keys", "config:masters",
                                      "config:bindings", "meta:models"};
  std::map<std::string, std::map<std::string, std::string>> want;
  for (const auto& k : keys) want[k] = hgetall(k);
  BOOST_REQUIRE(!want["config:keys"].empty());

  // Nothing changed: every hash is patched with nothing, byte for byte the same.
  r = stack().http("POST", "/sync/snapshot", "", ez::it::Auth::internal);
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  for (const char* name : {"providers", "keys", "masters", "bindings", "models"})
    BOOST_TEST(r.json()["patched"][name].asUInt64() == 0u, name);
  for (const auto& k : keys) BOOST_TEST((hgetall(k) == want[k]), k << " changed");

  // A wrong value is patched; an extra field and a hash of another type are rebuilt.
  (void)stack().redis({"HSET", "config:keys", w.key_hash, R"({"tampered":true})"});
  (void)stack().redis({"HSET", "config:bindings", "nobody.nothing", "{}"});
  (void)stack().redis({"DEL", "config:masters"});
  (void)stack().redis({"SET", "config:masters", "not a hash"});
  r = stack().http("POST", "/sync/snapshot", "", ez::it::Auth::internal);
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  const auto report = r.json();
  // (The stack's syncer may rebuild the bindings and masters first: it watches field
  // counts. Nothing watches a value, so the key is the resync's to patch.)
  BOOST_TEST(report["patched"]["keys"].asUInt64() >= 1u);
  for (const auto& k : keys) BOOST_TEST((hgetall(k) == want[k]), k << " differs after resync");
  BOOST_TEST(stack().redis({"KEYS", "*:resync:*"}).empty());
  BOOST_TEST(stack().redis({"KEYS", "*:old:*"}).empty());
}

BOOST_AUTO_TEST_CASE(redis_outage_converges_without_a_resync_call) {
  auto& w = world();
  const std::string mid = std::to_string(w.master["id"].asInt64());
  auto key = post("/admin/masters/" + mid + "/keys", Json::Value(Json::objectValue));
  const std::string hash = ez::sha256_hex(key["key"].asString());
  const std::string kid = std::to_string(key["id"].asInt64());

  stack().stop("redis");
  // Writes still succeed while Redis is down: they wait in the outbox.
  auto r = stack().http("PUT", "/keys/" + kid, R"({"status":"disabled"})");
  BOOST_REQUIRE_MESSAGE(r.status == 200, describe(r));
  Json::Value m(Json::objectValue);
  const std::string model = unique("outage") + ".m";
  m["name"] = model;
  (void)post("/models", m);
  BOOST_TEST(stack().sql("SELECT count(*) FROM sync_outbox")[0][0] != "0");

  BOOST_REQUIRE(stack().stack_cmd("up") == 0);
  // The replay loop (no request, no resync call) brings Redis up to date.
  BOOST_TEST(stack().wait_until(
      [&] {
        try {
          return !hget("meta:models", model).empty() &&
                 parse_json(hget("config:keys", hash))["status"].asString() == "disabled";
        } catch (const std::exception&) {
          return false;
        }
      },
      20000));
  BOOST_TEST(stack().wait_until(
      [&] { return stack().sql("SELECT count(*) FROM sync_outbox")[0][0] == "0"; }, 10000));
}

BOOST_AUTO_TEST_CASE(lost_redis_data_is_rebuilt_by_the_replay) {
  (void)world();
  auto cp = control_plane();
  ez::snapshot::replay_tick(*cp);  // nothing to do: Redis is current
  const auto providers = hgetall("config:providers");
  (void)stack().redis({"FLUSHALL"});
  ez::snapshot::replay_tick(*cp);  // what the syncer process does every tick
  BOOST_TEST((hgetall("config:providers") == providers));
  BOOST_TEST(!hget("meta:snapshot", "version").empty());
}

// A partial loss keeps meta:snapshot, so the version check alone
// cannot see it. The running stack's syncer heals it with nobody calling resync.
BOOST_AUTO_TEST_CASE(a_deleted_hash_comes_back_on_its_own) {
  const World& w = world();
  BOOST_REQUIRE(stack().wait_until([&] { return !hget("config:keys", w.key_hash).empty(); }));
  const auto keys = hgetall("config:keys");
  (void)stack().redis({"DEL", "config:keys", "meta:models"});
  BOOST_TEST(stack().wait_until(
      [&] { return hgetall("config:keys") == keys && !hget("meta:models", w.model).empty(); },
      15000));
}

BOOST_AUTO_TEST_CASE(two_control_planes_keep_versions_monotonic_and_the_last_write) {
  (void)world();
  const auto gid = stack().sql("SELECT id FROM provider_groups WHERE name = 'default'")[0][0];
  const auto pid = stack().sql("INSERT INTO providers (name, type, group_id) VALUES ('" +
                               unique("race") + "', 'openai', " + gid + ") RETURNING id")[0][0];
  Subscriber sub;
  constexpr int kWrites = 40;
  auto writer = [&](int who) {
    auto cp = control_plane();
    for (int i = 0; i < kWrites; ++i) {
      {
        pqxx::work tx(cp->pg().conn());
        tx.exec_params("UPDATE providers SET api_key = $1, updated_at = now() WHERE id = $2",
                       "w" + std::to_string(who) + "-" + std::to_string(i), std::stoll(pid));
        ez::snapshot::record_change(tx, ez::snapshot::Resource::provider, pid);
        tx.commit();
      }
      ez::snapshot::push_pending(*cp);
    }
  };
  std::thread a(writer, 1), b(writer, 2);
  a.join();
  b.join();

  const auto pg_key = stack().sql("SELECT api_key FROM providers WHERE id = " + pid)[0][0];
  BOOST_TEST(parse_json(hget("config:providers", pid))["api_key"].asString() == pg_key);
  // Every event has a higher version than the one before it.
  BOOST_REQUIRE(stack().wait_until([&] { return sub.messages().size() >= 2; }, 5000));
  long long last = 0;
  for (const auto& text : sub.messages()) {
    const long long v = std::stoll(parse_json(text)["version"].asString());
    BOOST_TEST(v > last, "version " << v << " after " << last);
    last = v;
  }
  BOOST_TEST(std::stoll(hget("meta:snapshot", "version")) >= last);
}

BOOST_AUTO_TEST_CASE(a_resync_during_writes_loses_none_of_them) {
  (void)world();
  const auto gid = stack().sql("SELECT id FROM provider_groups WHERE name = 'default'")[0][0];
  std::atomic<bool> done{false};
  std::vector<std::string> ids;
  std::thread writer([&] {
    auto cp = control_plane();
    for (int i = 0; i < 30; ++i) {
      std::string id;
      {
        pqxx::work tx(cp->pg().conn());
        id = tx.exec("INSERT INTO providers (name, type, group_id) VALUES ('" + unique("during") +
                     "', 'openai', " + gid + ") RETURNING id")[0][0]
                 .c_str();
        ez::snapshot::record_change(tx, ez::snapshot::Resource::provider, id);
        tx.commit();
      }
      ids.push_back(id);
      ez::snapshot::push_pending(*cp);
    }
    done = true;
  });
  auto cp = control_plane();
  while (!done) (void)ez::snapshot::resync(*cp);
  writer.join();
  ez::snapshot::replay_tick(*cp);
  for (const auto& id : ids) BOOST_TEST(!hget("config:providers", id).empty(), "lost " << id);
}
