// Every route refuses, before its handler runs, a query parameter it does not declare, a
// declared one given twice (unless it is repeatable, like /admin/import's map_type), and one
// given empty: a 400 naming it. Walks every operation of docs/openapi.yaml through the real
// router and dispatcher; the context reaches no server, so an answer that is not that 400
// means the handler ran (and e.g. asked for a token first).
#include <json/reader.h>
#include <json/value.h>
#include <yaml-cpp/yaml.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <set>
#include <string>

#include "api/dispatch.h"
#include "api/routes.h"
#include "context/context.h"

namespace {

const std::string kDoc = std::string(EZ_SOURCE_DIR) + "/docs/openapi.yaml";
const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch"};

ez::context::Context& context() {
  static std::unique_ptr<ez::context::Context> ctx = [] {
    ez::config::Settings s;
    s.pg_dsn = "host=127.0.0.1 port=1 dbname=none user=none connect_timeout=1";
    s.redis_host = "127.0.0.1";
    s.redis_port = 1;
    return std::make_unique<ez::context::Context>(s);
  }();
  return *ctx;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "/admin/masters/{id}/keys" -> "/admin/masters/1/keys"
std::string concrete(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      out += '1';
      i = pattern.find('}', i);
    } else {
      out += pattern[i];
    }
  }
  return out;
}

YAML::Node resolve(const YAML::Node& root, const YAML::Node& start) {
  YAML::Node node;
  node.reset(start);
  while (node.IsMap() && node["$ref"]) {
    const std::string ref = node["$ref"].as<std::string>();
    YAML::Node cur;
    cur.reset(root);
    size_t from = 2;
    while (from <= ref.size()) {
      size_t end = ref.find('/', from);
      if (end == std::string::npos) end = ref.size();
      const YAML::Node next = cur[ref.substr(from, end - from)];
      cur.reset(next);
      from = end + 1;
    }
    node.reset(cur);
  }
  return node;
}

struct Documented {
  std::string name;
  bool repeatable = false;  // an array in the document
};

template <typename Fn>
void for_each_operation(Fn&& fn) {
  const YAML::Node doc = YAML::LoadFile(kDoc);
  for (const auto& path : doc["paths"]) {
    const std::string p = path.first.as<std::string>();
    for (const auto& op : path.second) {
      const std::string method = op.first.as<std::string>();
      if (!kMethods.count(method)) continue;
      std::vector<Documented> params;
      for (const YAML::Node& list : {path.second["parameters"], op.second["parameters"]}) {
        if (!list) continue;
        for (const auto& raw : list) {
          const YAML::Node prm = resolve(doc, raw);
          if (prm["in"].as<std::string>() != "query") continue;
          const YAML::Node schema = resolve(doc, prm["schema"]);
          params.push_back({prm["name"].as<std::string>(),
                            schema["type"] && schema["type"].as<std::string>() == "array"});
        }
      }
      fn(upper(method), p, params);
    }
  }
}

struct Answer {
  int status = 0;
  std::string field, raw;
};

Answer call(const std::string& method, const std::string& pattern,
            std::multimap<std::string, std::string> query, const std::string& raw_path = "") {
  static const ez::http::Router router = ez::api::build_router();
  ez::http::Request req;
  req.method = method;
  req.path = concrete(pattern);
  req.raw_path = raw_path;
  req.query = std::move(query);
  const ez::api::Outcome out = ez::api::dispatch(context(), router, req);
  Answer a;
  a.status = out.response.status;
  a.raw = out.response.body;
  Json::Value body;
  Json::CharReaderBuilder b;
  std::unique_ptr<Json::CharReader> reader(b.newCharReader());
  std::string errors;
  if (reader->parse(a.raw.data(), a.raw.data() + a.raw.size(), &body, &errors) && body.isObject())
    a.field = body.get("field", "").asString();
  return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_query_params)

BOOST_AUTO_TEST_CASE(an_unknown_parameter_is_a_400_naming_it_on_every_route) {
  size_t routes = 0;
  for_each_operation([&](const std::string& method, const std::string& p, const auto&) {
    ++routes;
    const Answer a = call(method, p, {{"zz_unknown", "1"}});
    BOOST_TEST(a.status == 400, method << " " << p << ": " << a.raw);
    BOOST_TEST(a.field == "zz_unknown", method << " " << p);
  });
  BOOST_TEST(routes > 40u);
}

BOOST_AUTO_TEST_CASE(a_parameter_given_twice_or_empty_is_a_400_naming_it) {
  size_t checked = 0;
  for_each_operation([&](const std::string& method, const std::string& p, const auto& params) {
    for (const Documented& d : params) {
      ++checked;
      const Answer empty = call(method, p, {{d.name, ""}});
      BOOST_TEST(empty.status == 400, method << " " << p << " " << d.name << "=: " << empty.raw);
      BOOST_TEST(empty.field == d.name, method << " " << p << " " << d.name << "=");
      const Answer bad = call(method, p, {{d.name, "a\xff"}});
      BOOST_TEST(bad.status == 400, method << " " << p << " " << d.name << "=%ff: " << bad.raw);
      BOOST_TEST(bad.field == d.name, method << " " << p << " " << d.name << "=%ff");
      if (d.repeatable) continue;
      const Answer twice = call(method, p, {{d.name, "1"}, {d.name, "2"}});
      BOOST_TEST(twice.status == 400,
                 method << " " << p << " " << d.name << " twice: " << twice.raw);
      BOOST_TEST(twice.field == d.name, method << " " << p << " " << d.name << " twice");
    }
  });
  BOOST_TEST(checked > 50u);
}

// The reproduction: the first value won, so this imported for real.
BOOST_AUTO_TEST_CASE(dry_run_twice_or_empty_never_imports) {
  for (std::multimap<std::string, std::string> q :
       {std::multimap<std::string, std::string>{{"dry_run", "false"}, {"dry_run", "true"}},
        std::multimap<std::string, std::string>{{"dry_run", ""}},
        std::multimap<std::string, std::string>{{"dry_run", "maybe"}}}) {
    const Answer a = call("POST", "/admin/import", q);
    BOOST_TEST(a.status == 400, a.raw);
    BOOST_TEST(a.field == "dry_run");
  }
}

// Path parameters reach SQL as text: one that is not UTF-8 (or holds a NUL) is a 400 naming
// it, not PostgreSQL's "invalid byte sequence" as a 500.
BOOST_AUTO_TEST_CASE(path_parameters_must_be_utf8_without_nul) {
  for (const char* raw : {"/admin/logs/%ff", "/admin/logs/%c3%28", "/admin/logs/a%00b"}) {
    const Answer a = call("GET", "/admin/logs/x", {}, raw);
    BOOST_TEST(a.status == 400, raw << ": " << a.raw);
    BOOST_TEST(a.field == "request_id", raw);
  }
  const Answer a = call("GET", "/models/x", {}, "/models/%ff");
  BOOST_TEST(a.status == 400, a.raw);
}

BOOST_AUTO_TEST_SUITE_END()
