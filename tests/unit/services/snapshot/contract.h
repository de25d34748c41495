// Shape checks against tests/contracts/*.json (the repository's copy of
// published contracts beside a checkout, kept in step by tests/deploy/contracts_drift_test.sh),
// shared by the unit tests and tests/integration/sync_test.cpp: every contract field present with
// the same JSON type, and no field the contract does not name.
#pragma once

#include <json/reader.h>
#include <json/value.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace ez::test {

inline Json::Value parse_json(const std::string& text) {
  Json::CharReaderBuilder b;
  std::unique_ptr<Json::CharReader> r(b.newCharReader());
  Json::Value v;
  std::string errors;
  if (!r->parse(text.data(), text.data() + text.size(), &v, &errors))
    throw std::runtime_error("bad JSON (" + errors + "): " + text);
  return v;
}

inline Json::Value load_contract(const std::string& file) {
  std::ifstream in(std::string(EZ_CONTRACTS_DIR) + "/" + file);
  if (!in) throw std::runtime_error("cannot read contract " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json(ss.str());
}

// JSON type as the balancer sees it: every number is a number.
inline std::string json_type(const Json::Value& v) {
  switch (v.type()) {
    case Json::nullValue:
      return "null";
    case Json::intValue:
    case Json::uintValue:
    case Json::realValue:
      return "number";
    case Json::stringValue:
      return "string";
    case Json::booleanValue:
      return "boolean";
    case Json::arrayValue:
      return "array";
    case Json::objectValue:
      return "object";
  }
  return "?";
}

// Differences between `actual` and the contract object `expected`, one line each.
inline std::vector<std::string> shape_mismatches(const Json::Value& expected,
                                                 const Json::Value& actual) {
  std::vector<std::string> out;
  if (!actual.isObject()) return {"not an object"};
  for (const auto& name : expected.getMemberNames()) {
    if (!actual.isMember(name)) {
      out.push_back("missing " + name);
      continue;
    }
    const auto& e = expected[name];
    const auto& a = actual[name];
    if (json_type(e) != json_type(a)) {
      out.push_back(name + ": " + json_type(a) + " instead of " + json_type(e));
    } else if (e.isArray() && e.size() > 0 && a.size() > 0 && json_type(e[0]) != json_type(a[0])) {
      out.push_back(name + "[]: " + json_type(a[0]) + " instead of " + json_type(e[0]));
    }
  }
  for (const auto& name : actual.getMemberNames())
    if (!expected.isMember(name)) out.push_back("extra " + name);
  return out;
}

// The mismatches as one line, for a test message.
inline std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "; ";
  return s;
}

}  // namespace ez::test
