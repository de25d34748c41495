// The COPY text rows the import writes (pgcopy/copy_text.h): what PostgreSQL
// reads back must be exactly the value, whatever characters it holds.
#include "pgcopy/copy_text.h"

#include <boost/test/unit_test.hpp>

using ez::pgcopy::CopyRow;

BOOST_AUTO_TEST_SUITE(importer_copy_text)

BOOST_AUTO_TEST_CASE(fields_are_tab_separated_with_null_and_scalars) {
  CopyRow row;
  row.text("a")
      .integer(-42)
      .boolean(true)
      .boolean(false)
      .optional_text(std::nullopt)
      .optional_text(std::string("2025-01-01T00:00:00Z"));
  BOOST_TEST(row.line() == "a\t-42\tt\tf\t\\N\t2025-01-01T00:00:00Z");
  row.clear();
  row.text("");
  BOOST_TEST(row.line() == "");  // an empty string, not NULL
}

BOOST_AUTO_TEST_CASE(text_escapes_what_copy_would_read_as_syntax) {
  CopyRow row;
  row.text("tab\there\nnew\rret\\back \"q\" 渠道 \\N");
  BOOST_TEST(row.line() == "tab\\there\\nnew\\rret\\\\back \"q\" 渠道 \\\\N");
}

BOOST_AUTO_TEST_CASE(arrays_quote_every_element_and_escape_twice) {
  CopyRow row;
  row.text_array({}).text_array({"vip", "NULL", "a,b", "{x}", "say \"hi\"", "back\\slash", "t\tb"});
  // Array literal: "say \"hi\"" and "back\\slash"; then COPY doubles each backslash.
  BOOST_TEST(row.line() ==
             "{}\t{\"vip\",\"NULL\",\"a,b\",\"{x}\",\"say \\\\\"hi\\\\\"\",\"back\\\\\\\\slash\","
             "\"t\\tb\"}");
}

BOOST_AUTO_TEST_SUITE_END()
