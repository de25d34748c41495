#include "snapshot/source.h"

#include <boost/test/unit_test.hpp>

using namespace ez::snapshot::source;

BOOST_AUTO_TEST_SUITE(snapshot_source)

BOOST_AUTO_TEST_CASE(copy_line_fields_and_escapes) {
  std::vector<std::optional<std::string>> f;
  BOOST_REQUIRE(split_copy_line("abc\t\\N\ta\\tb\\nc\\\\d\t\n", f) == 4u);
  BOOST_TEST(*f[0] == "abc");
  BOOST_TEST(!f[1].has_value());
  BOOST_TEST(*f[2] == "a\tb\nc\\d");
  BOOST_TEST(f[3]->empty());
  // The vector is reused: a shorter line reports its own count.
  BOOST_REQUIRE(split_copy_line("x\ty", f) == 2u);
  BOOST_TEST(*f[0] == "x");
  BOOST_TEST(*f[1] == "y");
}

BOOST_AUTO_TEST_CASE(arrays_round_trip) {
  BOOST_TEST(parse_array("{}").empty());
  const auto v = parse_array(R"({a,"b c","d\"e",NULL})");
  BOOST_REQUIRE(v.size() == 3u);
  BOOST_TEST(v[1] == "b c");
  BOOST_TEST(v[2] == "d\"e");
  BOOST_TEST(text_array({"x", "y\"z", "w\\"}) == R"({"x","y\"z","w\\"})");
  BOOST_TEST(parse_array(text_array({"x", "y\"z", "w\\"}).c_str()) ==
             (std::vector<std::string>{"x", "y\"z", "w\\"}));
  std::vector<std::string> reused{"old", "old2", "old3"};
  parse_array("{a,NULL,b}", reused);
  BOOST_TEST(reused == (std::vector<std::string>{"a", "b"}));
  parse_array("{}", reused);
  BOOST_TEST(reused.empty());
  BOOST_TEST(int_array({1, 2}) == "{1,2}");
  BOOST_TEST(int_array({}) == "{}");
}

BOOST_AUTO_TEST_SUITE_END()
