// Selector resolution against the Go semantics of the balancer. The table is
// tests/unit/services/snapshot/selector_cases.json, whose expectations were produced and
// are re-checked with Go itself (selector_cases_check.go beside it).
#include "snapshot/selector.h"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <sstream>

#include "contract.h"
#include "snapshot/builders.h"

using namespace ez::snapshot;
using ez::test::parse_json;

namespace {

Json::Value load_cases() {
  std::ifstream in(std::string(EZ_SOURCE_DIR) +
                   "/tests/unit/services/snapshot/selector_cases.json");
  if (!in) throw std::runtime_error("cannot read selector_cases.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json(ss.str())["cases"];
}

std::string describe(const Resolution& r) {
  std::string s = "error=\"" + r.error + "\" upstreams={";
  for (const auto& [id, model] : r.upstreams) s += std::to_string(id) + ":\"" + model + "\" ";
  return s + "}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_selectors)

BOOST_AUTO_TEST_CASE(go_semantics_table) {
  const Json::Value cases = load_cases();
  BOOST_TEST(cases.size() >= 40u);
  for (const auto& c : cases) {
    const std::string name = c["name"].asString();
    GroupIndex g;
    for (const auto& id : c["providers"].getMemberNames()) {
      std::vector<std::string> models;
      for (const auto& m : c["providers"][id]) models.push_back(m.asString());
      g.add(std::stoll(id), models, "p" + id);
    }
    const Resolution r =
        g.resolve(c["type"].asString(), c["value"].asString(), c["public_model"].asString());
    std::map<int64_t, std::string> expected;
    const Json::Value& ups = c["expect"]["upstreams"];
    for (const auto& id : ups.getMemberNames()) expected[std::stoll(id)] = ups[id].asString();
    BOOST_TEST(r.error == c["expect"].get("error", "").asString(), name << ": " << describe(r));
    BOOST_TEST((r.upstreams == expected), name << ": " << describe(r));
    if (!r.error.empty()) BOOST_TEST(!r.reason.empty(), name);
    // The API refuses exactly the patterns Go's regexp.Compile refuses.
    if (c["type"].asString() == "regex") {
      const std::string value(trim_space(c["value"].asString()));
      const std::string problem =
          regex_problem(value.empty() ? c["public_model"].asString() : value);
      BOOST_TEST(problem.empty() == !c.get("invalid", false).asBool(), name << ": " << problem);
    }
  }
}

BOOST_AUTO_TEST_CASE(re2_messages_are_quoted) {
  BOOST_TEST(regex_problem("a{1001}") == "invalid repetition size: {1001}");
  BOOST_TEST(regex_problem("a\\Z") == "invalid escape sequence: \\Z");
  BOOST_TEST(regex_problem("x\\C") == "invalid escape sequence: \\C");
  // \C inside \Q...\E is literal text, in Go as in RE2; an escaped backslash too.
  BOOST_TEST(regex_problem("\\Qa\\C\\E").empty());
  BOOST_TEST(regex_problem("a\\\\C").empty());
  BOOST_TEST(regex_problem("").empty());
}

BOOST_AUTO_TEST_CASE(go_trim_space) {
  BOOST_TEST(trim_space(" \t\n\v\f\rgpt\r\n") == "gpt");
  BOOST_TEST(trim_space("\u00a0\u0085gpt\u3000\u2009\u202f") == "gpt");
  BOOST_TEST(trim_space("\u200bgpt") == "\u200bgpt");  // zero width space: not White_Space
  BOOST_TEST(trim_space("a b") == "a b");
  BOOST_TEST(trim_space("   ").empty());
  BOOST_TEST(trim_space("").empty());
  BOOST_TEST(trim_space("\xff ") == "\xff");  // a stray byte is kept, never a space
}

BOOST_AUTO_TEST_CASE(go_to_lower) {
  BOOST_TEST(to_lower("GPT-4o") == "gpt-4o");
  BOOST_TEST(to_lower("ÉCLAIR") == "éclair");
  BOOST_TEST(to_lower("\u0130") == "i");                   // U+0130 -> i (simple mapping)
  BOOST_TEST(to_lower("\u01c5") == "\u01c6");              // titlecase digraph
  BOOST_TEST(to_lower("\u13a0") == "\uab70");              // Cherokee
  BOOST_TEST(to_lower("\u212a") == "k");                   // Kelvin sign
  BOOST_TEST(to_lower("\u1e9e") == "\u00df");              // capital sharp s
  BOOST_TEST(to_lower("\u03a3\u03a3") == "\u03c3\u03c3");  // no final sigma
  BOOST_TEST(to_lower("\U00010400") == "\U00010428");      // Deseret, 4 bytes
  BOOST_TEST(to_lower("\u2c2f") == "\u2c5f");              // Glagolitic, new in Unicode 14
  BOOST_TEST(to_lower("\u00df") == "\u00df");              // no upper/lower change
  BOOST_TEST(to_lower("\u00b5") == "\u00b5");              // micro sign stays
  BOOST_TEST(to_lower("a\xffZ") == "a\xffz");              // invalid bytes copied
  // Whole-table spot checks: ranges with stride 2 map only every other code point.
  BOOST_TEST(to_lower_rune(0x100) == 0x101u);
  BOOST_TEST(to_lower_rune(0x101) == 0x101u);
  BOOST_TEST(to_lower_rune(0x10FFFF) == 0x10FFFFu);
  BOOST_TEST(to_lower_rune(0) == 0u);
}

BOOST_AUTO_TEST_CASE(normalize_exact_key) {
  BOOST_TEST(normalize_model("  OpenAI/GPT-4o ") == "gpt-4o");
  BOOST_TEST(normalize_model("a/b/Claude-3") == "claude-3");
  BOOST_TEST(normalize_model("\u00a0Vendor/\u0130\u00a0") == "i");
  BOOST_TEST(normalize_model("plain") == "plain");
  BOOST_TEST(normalize_model("vendor/").empty());
}

// PCRE backtracked for about 30 s per resolution on this pattern against long
// names (the admin write timed out after committing and the syncer stalled).
// RE2 is linear in the text. The bound is a generous guard against a return to
// a backtracking engine, not a benchmark: the resolution takes milliseconds.
BOOST_AUTO_TEST_CASE(pathological_regex_resolves_in_linear_time) {
  std::vector<std::string> models;
  for (int i = 0; i < 400; ++i) models.push_back(std::string(2000 + i, 'a') + "!");
  models.push_back("aaaa");
  GroupIndexes groups;
  groups[1].add(7, models, "long-names");
  BindingRow row;
  row.v.ns = "ns";
  row.v.public_model = "m";
  row.v.route_group = "g";
  row.group_id = 1;
  row.v.selector_type = "regex";
  row.v.selector_value = "(a|aa)+$";
  row.v.status = "active";
  const auto t0 = std::chrono::steady_clock::now();
  const Resolution r = resolve_candidate(row, groups, /*detail=*/true);
  const std::string snapshot = binding_json({row}, groups);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(r.error == "");
  BOOST_TEST(r.upstreams.at(7) == "aaaa");  // the only name ending in a's
  BOOST_TEST(parse_json(snapshot)["candidates"][0]["upstreams"]["7"].asString() == "aaaa");
  BOOST_TEST(
      elapsed < std::chrono::seconds(2),
      "resolution took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                         << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
