// JsonScanner walks a document without building its tree: members and elements come one at
// a time, and every syntax error names the caller's path and the byte where it was found.
#include "common/json_scanner.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "common/error.h"

using ez::JsonScanner;

BOOST_AUTO_TEST_SUITE(common_json_scanner)

BOOST_AUTO_TEST_CASE(walks_members_and_elements_one_at_a_time) {
  const std::string doc =
      R"( {"version": "1.2", "data": [ {"a": 1}, {"a": "x,]}"} , null ], "n": null} )";
  JsonScanner sc(doc);
  sc.expect('{', "");
  std::vector<std::string> names, elements;
  bool saw_null_member = false;
  do {
    const std::string name = sc.key("");
    names.push_back(name);
    sc.expect(':', name);
    if (name == "data") {
      sc.expect('[', name);
      do {
        if (sc.consume_null()) {
          elements.push_back("null");
          continue;
        }
        elements.push_back(sc.parse(sc.value(name), name)["a"].asString());
      } while (sc.next(']', name));
    } else if (name == "n") {
      saw_null_member = sc.consume_null();
    } else {
      BOOST_TEST(sc.parse(sc.value(name), name).asString() == "1.2");
    }
  } while (sc.next('}', ""));
  BOOST_TEST(sc.at_end());
  BOOST_TEST((names == std::vector<std::string>{"version", "data", "n"}));
  // A string holding ',', ']' and '}' does not end its element early.
  BOOST_TEST((elements == std::vector<std::string>{"1", "x,]}", "null"}));
  BOOST_TEST(saw_null_member);
}

BOOST_AUTO_TEST_CASE(errors_name_the_path_and_the_byte) {
  auto error_of = [](const std::string& doc, auto walk) -> std::string {
    try {
      JsonScanner sc(doc);
      walk(sc);
    } catch (const ez::Error& e) {
      BOOST_TEST((e.code() == ez::ErrorCode::bad_json));
      return e.what();
    }
    return "no error";
  };
  // Truncated inside an element.
  BOOST_TEST(error_of(R"({"data": [{"a": 1)", [](JsonScanner& sc) {
               sc.expect('{', "");
               (void)sc.key("");
               sc.expect(':', "data");
               sc.expect('[', "data");
               (void)sc.value("data[0]");
             }) == "data[0]: unterminated object at byte 10");
  // A missing comma between elements.
  BOOST_TEST(error_of(R"([1 2])", [](JsonScanner& sc) {
               sc.expect('[', "");
               (void)sc.value("[0]");
               (void)sc.next(']', "[0]");
             }) == "[0]: expected ',' or ']' at byte 3");
  // Strict parsing of a value: a trailing comma is refused, with the path.
  const std::string msg = error_of(R"({"a": 1,})", [](JsonScanner& sc) {
    (void)sc.parse(sc.value("data.keys[17]"), "data.keys[17]");
  });
  BOOST_TEST(msg.rfind("data.keys[17]: not valid JSON", 0) == 0, msg);
  // An unterminated string at the root names "(root)".
  BOOST_TEST(error_of(R"("abc)", [](JsonScanner& sc) { (void)sc.value(""); }) ==
             "(root): unterminated string at byte 0");
}

BOOST_AUTO_TEST_SUITE_END()
