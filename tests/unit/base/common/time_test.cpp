// Tests for workers/base/common/time.*: the one RFC 3339 parser (API bodies, query
// windows, log entries, the import file) and its formatters.
#include "common/time.h"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(base_time)

using ez::format_rfc3339_us;
using ez::format_timestamp_us;
using ez::parse_rfc3339_us;

BOOST_AUTO_TEST_CASE(accepts_what_go_time_parse_accepts) {
  BOOST_TEST(*parse_rfc3339_us("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*parse_rfc3339_us("1970-01-01t00:00:01z") == 1000000);
  BOOST_TEST(*parse_rfc3339_us("1970-01-01 00:00:01.25Z") == 1250000);
  BOOST_TEST(*parse_rfc3339_us("2024-01-01T01:00:00+01:00") ==
             *parse_rfc3339_us("2024-01-01T00:00:00Z"));
  BOOST_TEST(*parse_rfc3339_us("2023-12-31T23:30:00-00:30") ==
             *parse_rfc3339_us("2024-01-01T00:00:00Z"));
  BOOST_TEST(*parse_rfc3339_us("2000-02-29T00:00:00Z") == int64_t{951782400} * 1000000);
  // Any number of fraction digits (Go reads them all), cut at microseconds.
  BOOST_TEST(*parse_rfc3339_us("2024-01-01T00:00:00.123456789Z") % 1000000 == 123456);
  BOOST_TEST(*parse_rfc3339_us("2024-01-01T00:00:00.1234567890123Z") % 1000000 == 123456);
  // Before the epoch and up to the end of 9999, in UTC.
  BOOST_TEST(*parse_rfc3339_us("1969-12-31T23:59:59Z") == -1000000);
  BOOST_TEST(parse_rfc3339_us("0001-01-01T00:00:00Z").has_value());
  BOOST_TEST(parse_rfc3339_us("9999-12-31T23:59:59.999999Z").has_value());
}

BOOST_AUTO_TEST_CASE(refuses_the_rest) {
  for (const char* bad :
       {"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-32T00:00:00Z",
        "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z",
        // A leap second: Go's time.Parse says "second out of range"; so do we, everywhere.
        "2016-12-31T23:59:60Z", "2024-01-01T00:00:00", "2024-01-01", "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00+1:00", "2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00Zjunk",
        "+2024-01-01T00:00:00Z", "2024/01/01T00:00:00Z", "0000-12-31T00:00:00Z",
        // In year 0 / year 10000 once converted to UTC: neither PostgreSQL nor Go holds them.
        "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59", ""})
    BOOST_TEST(!parse_rfc3339_us(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(formats_round_trip) {
  BOOST_TEST(format_timestamp_us(0) == "1970-01-01 00:00:00.000000+00");
  BOOST_TEST(format_timestamp_us(951782400000001) == "2000-02-29 00:00:00.000001+00");
  BOOST_TEST(format_timestamp_us(-1) == "1969-12-31 23:59:59.999999+00");
  BOOST_TEST(format_rfc3339_us(0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(format_rfc3339_us(1250000) == "1970-01-01T00:00:01.250000Z");
  for (const char* t : {"0001-01-01T00:00:00Z", "1969-07-20T20:17:40Z",
                        "2024-02-29T12:34:56.000001Z", "9999-12-31T23:59:59.999999Z"})
    BOOST_TEST(format_rfc3339_us(*parse_rfc3339_us(t)) == t);
}

BOOST_AUTO_TEST_SUITE_END()
