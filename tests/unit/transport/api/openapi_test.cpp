// docs/openapi.yaml and the route table must agree: a route added to
// build_router() without documentation, or documented but not served, fails here.
// Also checks that the document is well-formed enough to be useful: every $ref
// resolves and every {param} of a path is declared, and the document's enums of values
// the server validates (provider types, model kinds, statuses) are the server's own lists.
#include <yaml-cpp/yaml.h>

#include <boost/test/unit_test.hpp>
#include <functional>
#include <set>
#include <string>

#include "api/routes.h"
#include "domain/admin_input.h"

namespace {

const std::string kDoc = std::string(EZ_SOURCE_DIR) + "/docs/openapi.yaml";
const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "options", "head"};

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Follows "#/components/parameters/Id" style references inside the document.
// (yaml-cpp: Node::operator= writes through to the referenced node; reset() rebinds.)
YAML::Node resolve(const YAML::Node& root, const YAML::Node& start_node) {
  YAML::Node node;
  node.reset(start_node);
  while (node.IsMap() && node["$ref"]) {
    const std::string ref = node["$ref"].as<std::string>();
    BOOST_REQUIRE_MESSAGE(ref.rfind("#/", 0) == 0, "only local refs: " << ref);
    YAML::Node cur;
    cur.reset(root);
    size_t start = 2;
    while (start <= ref.size()) {
      size_t end = ref.find('/', start);
      if (end == std::string::npos) end = ref.size();
      const YAML::Node next = cur[ref.substr(start, end - start)];
      BOOST_REQUIRE_MESSAGE(next.IsDefined(), "unresolved $ref " << ref);
      cur.reset(next);
      start = end + 1;
    }
    node.reset(cur);
  }
  return node;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_openapi)

BOOST_AUTO_TEST_CASE(router_and_document_list_the_same_routes) {
  const YAML::Node doc = YAML::LoadFile(kDoc);
  BOOST_REQUIRE(doc["paths"].IsMap());
  std::set<std::string> documented;
  for (const auto& path : doc["paths"])
    for (const auto& op : path.second) {
      const auto key = op.first.as<std::string>();
      if (kMethods.count(key)) documented.insert(upper(key) + " " + path.first.as<std::string>());
    }
  std::set<std::string> served;
  const ez::http::Router router = ez::api::build_router();
  for (const auto& r : router.routes()) served.insert(r.method + " " + r.pattern);

  for (const auto& r : served)
    BOOST_TEST(documented.count(r) == 1u, "served but not in docs/openapi.yaml: " << r);
  for (const auto& r : documented)
    BOOST_TEST(served.count(r) == 1u, "documented but not served by build_router(): " << r);
}

BOOST_AUTO_TEST_CASE(every_ref_resolves) {
  const YAML::Node doc = YAML::LoadFile(kDoc);
  size_t refs = 0;
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
    if (n.IsMap()) {
      for (const auto& kv : n) {
        if (kv.first.as<std::string>() == "$ref") {
          ++refs;
          YAML::Node holder;
          holder["$ref"] = kv.second;
          (void)resolve(doc, holder);
        } else {
          walk(kv.second);
        }
      }
    } else if (n.IsSequence()) {
      for (const auto& item : n) walk(item);
    }
  };
  walk(doc);
  BOOST_TEST(refs > 0u);
}

BOOST_AUTO_TEST_CASE(every_path_parameter_is_declared) {
  const YAML::Node doc = YAML::LoadFile(kDoc);
  for (const auto& path : doc["paths"]) {
    const std::string p = path.first.as<std::string>();
    std::set<std::string> wanted;
    for (size_t open = p.find('{'); open != std::string::npos; open = p.find('{', open + 1))
      wanted.insert(p.substr(open + 1, p.find('}', open) - open - 1));
    auto declared_in = [&](const YAML::Node& params, std::set<std::string>& out) {
      if (!params) return;
      for (const auto& raw : params) {
        const YAML::Node prm = resolve(doc, raw);
        if (prm["in"].as<std::string>() == "path") out.insert(prm["name"].as<std::string>());
      }
    };
    std::set<std::string> common;
    declared_in(path.second["parameters"], common);
    for (const auto& op : path.second) {
      if (!kMethods.count(op.first.as<std::string>())) continue;
      std::set<std::string> have = common;
      declared_in(op.second["parameters"], have);
      BOOST_TEST((have == wanted), "path parameters of " << op.first << " " << p);
      BOOST_TEST(op.second["responses"].IsMap(), "responses of " << op.first << " " << p);
    }
  }
}

// The query parameters each route declares (and the router enforces) are the ones the
// document lists for it, with the same type; an array is a repeatable parameter.
BOOST_AUTO_TEST_CASE(every_route_declares_the_query_parameters_the_document_lists) {
  const YAML::Node doc = YAML::LoadFile(kDoc);
  const ez::http::Router router = ez::api::build_router();
  auto describe = [](const std::string& name, ez::http::ParamType t, bool repeatable) {
    const char* type = t == ez::http::ParamType::integer   ? "integer"
                       : t == ez::http::ParamType::boolean ? "boolean"
                                                           : "text";
    return name + ":" + type + (repeatable ? "*" : "");
  };
  size_t checked = 0;
  for (const auto& route : router.routes()) {
    BOOST_TEST_CONTEXT(route.method << " " << route.pattern) {
      const YAML::Node path = doc["paths"][route.pattern];
      BOOST_REQUIRE(path.IsDefined());
      std::string method = route.method;
      for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const YAML::Node op = path[method];
      BOOST_REQUIRE(op.IsDefined());
      std::set<std::string> documented, declared;
      for (const YAML::Node& list : {path["parameters"], op["parameters"]}) {
        if (!list) continue;
        for (const auto& raw : list) {
          const YAML::Node prm = resolve(doc, raw);
          if (prm["in"].as<std::string>() != "query") continue;
          const YAML::Node schema = resolve(doc, prm["schema"]);
          const std::string type = schema["type"] ? schema["type"].as<std::string>() : "";
          documented.insert(describe(prm["name"].as<std::string>(),
                                     type == "integer"   ? ez::http::ParamType::integer
                                     : type == "boolean" ? ez::http::ParamType::boolean
                                                         : ez::http::ParamType::text,
                                     type == "array"));
        }
      }
      for (const auto& q : route.query) declared.insert(describe(q.name, q.type, q.repeatable));
      BOOST_TEST(documented == declared);
      ++checked;
    }
  }
  BOOST_TEST(checked == router.routes().size());
}

// The value lists the server validates against (domain/admin_input.h) are the document's
// enums: a provider type added to one and not the other fails here (the console's types
// are generated from the document, so they follow).
BOOST_AUTO_TEST_CASE(validated_value_lists_equal_the_documents_enums) {
  const YAML::Node schemas = YAML::LoadFile(kDoc)["components"]["schemas"];
  auto enum_of = [&](const char* schema) {
    std::set<std::string> out;
    for (const auto& v : schemas[schema]["enum"]) out.insert(v.as<std::string>());
    return out;
  };
  auto set_of = [](std::initializer_list<std::string_view> list) {
    return std::set<std::string>(list.begin(), list.end());
  };
  BOOST_TEST((enum_of("ProviderType") == set_of(ez::domain::kProviderTypes)));
  BOOST_TEST((enum_of("ModelKind") == set_of(ez::domain::kModelKinds)));
  BOOST_TEST((enum_of("ActiveDisabled") == set_of(ez::domain::kActiveDisabled)));
  BOOST_TEST(!enum_of("ProviderType").empty());
}

BOOST_AUTO_TEST_SUITE_END()
