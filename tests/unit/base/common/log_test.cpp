// Tests for workers/base/common/log.*: whatever a caller passes (a decoded request path, a
// header, a model name from a log entry), one call writes one line, so nobody can forge a
// line of the process log with a newline in a request.
#include "common/log.h"

#include <boost/test/unit_test.hpp>
#include <iostream>
#include <sstream>
#include <string>

BOOST_AUTO_TEST_SUITE(base_log)

using ez::log::escape_for_log;

BOOST_AUTO_TEST_CASE(line_breaks_and_control_characters_are_escaped) {
  BOOST_TEST(escape_for_log("plain text / path?a=1") == "plain text / path?a=1");
  BOOST_TEST(escape_for_log("a\nb") == "a\\nb");
  BOOST_TEST(escape_for_log("a\r\nb") == "a\\r\\nb");
  BOOST_TEST(escape_for_log("a\tb") == "a\\tb");
  BOOST_TEST(escape_for_log(std::string_view("a\0b", 3)) == "a\\x00b");
  BOOST_TEST(escape_for_log("\x1b[31mred") == "\\x1b[31mred");  // terminal escapes
  BOOST_TEST(escape_for_log("del\x7f") == "del\\x7f");
}

BOOST_AUTO_TEST_CASE(unicode_line_breaks_and_bidi_controls_are_escaped) {
  BOOST_TEST(escape_for_log("a\u0085b") == "a\\u0085b");  // NEL
  BOOST_TEST(escape_for_log("a\u2028b\u2029") == "a\\u2028b\\u2029");
  BOOST_TEST(escape_for_log("x\u202Ey") == "x\\u202ey");  // right-to-left override
  BOOST_TEST(escape_for_log("x\u2066y") == "x\\u2066y");
  // Printable text outside ASCII stays readable.
  BOOST_TEST(escape_for_log("caf\u00e9 \u4e2d\u6587 \u2014") == "caf\u00e9 \u4e2d\u6587 \u2014");
}

BOOST_AUTO_TEST_CASE(one_call_writes_one_line_whatever_the_message_holds) {
  std::ostringstream captured;
  auto* saved = std::cerr.rdbuf(captured.rdbuf());
  ez::log::set_request_id("rid\nforged");
  ez::log::error(
      "GET /master/keys/1\n2026-12-07T22:00:00.000Z E master FORGED-UNAUTH-LINE: failed");
  ez::log::clear_request_id();
  std::cerr.rdbuf(saved);
  const std::string out = captured.str();
  BOOST_TEST(out.find('\n') == out.size() - 1);
  BOOST_TEST(out.find("/master/keys/1\\n2026-12-07T22:00:00.000Z E master FORGED") !=
             std::string::npos);
  BOOST_TEST(out.find("rid=rid\\nforged ") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
