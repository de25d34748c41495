// parse_json_string_array reads array_to_json(text[])::text: a fast path for plain strings,
// jsoncpp for the rest; both must give the same strings.
#include "db/json_columns.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

using Strings = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(db_json_columns)

BOOST_AUTO_TEST_CASE(plain_arrays) {
  using ez::db::parse_json_string_array;
  BOOST_TEST(parse_json_string_array("[]") == Strings{});
  BOOST_TEST(parse_json_string_array(" [ ] ") == Strings{});
  BOOST_TEST(parse_json_string_array(R"(["gpt-4o"])") == Strings{"gpt-4o"});
  BOOST_TEST(parse_json_string_array(R"(["a","vendor/model-1", ""])") ==
             (Strings{"a", "vendor/model-1", ""}));
  BOOST_TEST(parse_json_string_array("[\"h\xc3\xa9\" ,\n\"\xe2\x82\xac\"]") ==
             (Strings{"h\xc3\xa9", "\xe2\x82\xac"}));
}

BOOST_AUTO_TEST_CASE(escapes_and_odd_items_go_through_jsoncpp) {
  using ez::db::parse_json_string_array;
  BOOST_TEST(parse_json_string_array(R"(["a\"b","c\\d","\u00e9\n"])") ==
             (Strings{"a\"b", "c\\d", "\xc3\xa9\n"}));
  // Items that are not strings are skipped, as before.
  BOOST_TEST(parse_json_string_array(R"([1,"a",null,"b"])") == (Strings{"a", "b"}));
  BOOST_TEST(parse_json_string_array(R"({"a":"b"})") == Strings{});
  BOOST_TEST(parse_json_string_array("") == Strings{});
  BOOST_TEST(parse_json_string_array("[\"a\",") == Strings{});
  BOOST_TEST(parse_json_string_array("[\"unterminated]") == Strings{});
}

BOOST_AUTO_TEST_SUITE_END()
