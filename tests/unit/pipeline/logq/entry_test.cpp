// Tests for workers/pipeline/logq/entry.*: parsing and validation of POST /logs bodies.
#include "logq/entry.h"

#include <boost/test/unit_test.hpp>
#include <optional>
#include <random>
#include <string>

#include "logq/entry_fields.h"

using ez::logq::EncodedFields;
using ez::logq::EntryError;
using ez::logq::LogEntry;
using ez::logq::ParseOptions;
using Kind = ez::logq::EntryError::Kind;

namespace {

constexpr int64_t kArrival = 1700000000123456;  // 2023-11-14 22:13:20.123456 UTC

std::vector<LogEntry> parse(std::string_view body, bool ndjson = false) {
  return ez::logq::parse_body(body, ParseOptions{ndjson, kArrival, 1000});
}

// Runs the parser expecting a failure; returns it for inspection. The fast path must have
// declined the body (only the full parser refuses, with its message).
EntryError failure(std::string_view body, bool ndjson = false) {
  std::vector<LogEntry> fast;
  BOOST_TEST(!ez::logq::detail::parse_body_fast(body, ParseOptions{ndjson, kArrival, 1000}, fast),
             "fast path accepted a bad body: " << body);
  try {
    (void)parse(body, ndjson);
  } catch (const EntryError& e) {
    return e;
  }
  BOOST_FAIL("expected EntryError for: " << body);
  throw;  // unreachable
}

void expect_invalid(std::string_view body, long index, const std::string& field,
                    Kind kind = Kind::invalid_field) {
  BOOST_TEST_CONTEXT(body) {
    auto e = failure(body);
    BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(kind));
    BOOST_TEST(e.index() == index);
    BOOST_TEST(e.field() == field);
    const std::string what = e.what();
    BOOST_TEST(what.find("entry " + std::to_string(index)) != std::string::npos);
    if (!field.empty()) BOOST_TEST(what.find(field) != std::string::npos);
  }
}

std::string field_of(const LogEntry& e, size_t column) {
  const std::string encoded = ez::logq::encode(e);
  EncodedFields f;
  BOOST_REQUIRE(ez::logq::decode(encoded, f));
  return f[column] ? std::string(*f[column]) : std::string("<NULL>");
}

size_t column(std::string_view name) {
  for (size_t i = 0; i < ez::logq::kLogColumnCount; ++i)
    if (name == ez::logq::kLogColumns[i]) return i;
  BOOST_FAIL("no column " << name);
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logq_entry)

BOOST_AUTO_TEST_CASE(minimal_object_defaults_to_arrival_time) {
  auto v = parse(R"({"request_id":"r1"})");
  BOOST_REQUIRE(v.size() == 1u);
  BOOST_TEST(v[0].request_id == "r1");
  BOOST_TEST(v[0].ts_us == kArrival);
  BOOST_TEST(v[0].received_us == kArrival);
  BOOST_TEST(!v[0].master_id.has_value());
  BOOST_TEST(!v[0].extra_json.has_value());
  BOOST_TEST(field_of(v[0], column("ts")) == "2023-11-14 22:13:20.123456+00");
  BOOST_TEST(field_of(v[0], column("model")) == "<NULL>");
}

BOOST_AUTO_TEST_CASE(all_fields) {
  auto v = parse(R"({"request_id":"abc","timestamp":"2024-02-29T23:59:59.5+01:00",
    "master_id":7,"key_id":8,"namespace":"ns","model":"gpt","upstream_model":"gpt-x",
    "provider_id":42,"provider_type":"openai","route_group":"default","status_code":200,
    "latency_ms":1234,"ttft_ms":56,"prompt_tokens":10,"completion_tokens":20,"total_tokens":30,
    "cost":0.00125,"client_ip":"2001:db8::1","stream":true,"error_type":null,
    "error_message":"boom"})");
  BOOST_REQUIRE(v.size() == 1u);
  const auto& e = v[0];
  BOOST_TEST(field_of(e, column("ts")) == "2024-02-29 22:59:59.500000+00");
  BOOST_TEST(*e.master_id == 7);
  BOOST_TEST(*e.key_id == 8);
  BOOST_TEST(*e.ns == "ns");
  BOOST_TEST(*e.upstream_model == "gpt-x");
  BOOST_TEST(*e.provider_id == 42);
  BOOST_TEST(*e.status_code == 200);
  BOOST_TEST(*e.total_tokens == 30);
  BOOST_TEST(field_of(e, column("cost")) == "0.00125");
  BOOST_TEST(field_of(e, column("stream")) == "t");
  BOOST_TEST(field_of(e, column("error_type")) == "<NULL>");
  BOOST_TEST(field_of(e, column("error_message")) == "boom");
  BOOST_TEST(field_of(e, column("status_code")) == "200");
  BOOST_TEST(field_of(e, column("client_ip")) == "2001:db8::1");
}

BOOST_AUTO_TEST_CASE(array_and_ndjson) {
  auto a = parse(R"([{"request_id":"a"},{"request_id":"b"},{"request_id":"c"}])");
  BOOST_REQUIRE(a.size() == 3u);
  BOOST_TEST(a[2].request_id == "c");
  BOOST_TEST(parse("[]").empty());

  auto n = parse("{\"request_id\":\"a\"}\r\n\n  \n{\"request_id\":\"b\"}", true);
  BOOST_REQUIRE(n.size() == 2u);
  BOOST_TEST(n[1].request_id == "b");

  auto e = failure("{\"request_id\":\"a\"}\n\n{\"request_id\":\"b\"\n", true);
  BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::bad_json));
  BOOST_TEST(e.index() == 1);
  BOOST_TEST(std::string(e.what()).find("line 3") != std::string::npos);
  expect_invalid("[{\"request_id\":\"a\"},{\"request_id\":\"b\",\"status_code\":\"200\"}]", 1,
                 "status_code");
  auto not_obj = failure(R"([{"request_id":"a"}, 5])");
  BOOST_TEST(not_obj.index() == 1);
  BOOST_TEST(static_cast<int>(failure("  \n", true).kind()) == static_cast<int>(Kind::bad_json));
  // Several objects without the NDJSON content type are not one JSON document.
  BOOST_TEST(static_cast<int>(failure("{\"request_id\":\"a\"}\n{\"request_id\":\"b\"}").kind()) ==
             static_cast<int>(Kind::bad_json));
}

BOOST_AUTO_TEST_CASE(broken_json) {
  for (std::string_view body :
       {R"({"request_id":"a")", R"([{"request_id":"a"},)", R"({"request_id":"a"} trailing)",
        R"({"request_id":"a","request_id":"b"})", R"({'request_id':'a'})", R"({"request_id":"a",})",
        "", "   ", "nul", "42", R"("just a string")", R"({"request_id":"a","cost":NaN})",
        R"(/*c*/{"request_id":"a"})", "\xEF\xBB\xBF{}"}) {
    BOOST_TEST_CONTEXT(body) {
      auto e = failure(body);
      BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::bad_json));
      BOOST_TEST(e.index() == -1);
    }
  }
  std::string deep(200, '[');
  deep += std::string(200, ']');
  BOOST_TEST(static_cast<int>(failure(deep).kind()) == static_cast<int>(Kind::bad_json));
  std::string deep_extra = R"({"request_id":"a","x":)" + std::string(100, '{');
  deep_extra += std::string(100, '}') + "}";
  BOOST_TEST(static_cast<int>(failure(deep_extra).kind()) == static_cast<int>(Kind::bad_json));
}

BOOST_AUTO_TEST_CASE(request_id_rules) {
  expect_invalid(R"({"model":"m"})", 0, "request_id", Kind::missing_field);
  expect_invalid(R"({"request_id":null})", 0, "request_id", Kind::missing_field);
  expect_invalid(R"({"request_id":""})", 0, "request_id");
  expect_invalid(R"({"request_id":12})", 0, "request_id");
  expect_invalid(R"({"request_id":["a"]})", 0, "request_id");
  const std::string ok128 = std::string(128, 'r');
  BOOST_TEST(parse(R"({"request_id":")" + ok128 + "\"}")[0].request_id == ok128);
  expect_invalid(R"({"request_id":")" + std::string(129, 'r') + "\"}", 0, "request_id");
}

BOOST_AUTO_TEST_CASE(wrong_types_and_ranges) {
  const std::string base = R"({"request_id":"x",)";
  auto bad = [&](const std::string& kv, const std::string& field) {
    expect_invalid(base + kv + "}", 0, field);
  };
  bad(R"("status_code":"200")", "status_code");
  bad(R"("status_code":99)", "status_code");
  bad(R"("status_code":600)", "status_code");
  bad(R"("status_code":200.0)", "status_code");
  bad(R"("status_code":true)", "status_code");
  bad(R"("status_code":99999999999)", "status_code");
  bad(R"("latency_ms":-1)", "latency_ms");
  bad(R"("ttft_ms":1.5)", "ttft_ms");
  bad(R"("prompt_tokens":"10")", "prompt_tokens");
  bad(R"("completion_tokens":1e3)", "completion_tokens");
  bad(R"("total_tokens":{})", "total_tokens");
  bad(R"("master_id":9223372036854775808)", "master_id");  // 2^63: beyond bigint
  bad(R"("key_id":18446744073709551616)", "key_id");       // beyond uint64 too
  bad(R"("provider_id":-5)", "provider_id");
  bad(R"("cost":-0.01)", "cost");
  bad(R"("cost":"1")", "cost");
  bad(R"("cost":false)", "cost");
  bad(R"("stream":"true")", "stream");
  bad(R"("stream":1)", "stream");
  bad(R"("model":5)", "model");
  bad(R"("namespace":")" + std::string(257, 'n') + "\"", "namespace");
  bad(R"("error_message":42)", "error_message");
  bad(R"("extra":[1])", "extra");
  bad(R"("timestamp":"yesterday")", "timestamp");
  bad(R"("timestamp":-1)", "timestamp");
  bad(R"("timestamp":1.5)", "timestamp");
  bad(R"("timestamp":253402300800000)", "timestamp");  // year 10000
  bad(R"("timestamp":true)", "timestamp");
  // Edges that are fine.
  auto ok = parse(base + R"("status_code":599,"latency_ms":0,"master_id":9223372036854775807,
    "cost":0,"stream":false,"timestamp":0})");
  BOOST_TEST(*ok[0].master_id == INT64_MAX);
  BOOST_TEST(ok[0].ts_us == 0);
  BOOST_TEST(field_of(ok[0], column("stream")) == "f");
  BOOST_TEST(field_of(ok[0], column("cost")) == "0");
  auto big_cost = parse(base + R"("cost":12})");
  BOOST_TEST(field_of(big_cost[0], column("cost")) == "12");
  auto ms = parse(base + R"("timestamp":1700000000123})");
  BOOST_TEST(ms[0].ts_us == 1700000000123000);
  // Every count and amount has a ceiling, so no sum of them overflows what a reader can
  // parse (usage totals are int64 and finite doubles): the refusal names entry and field.
  for (const char* f : {"prompt_tokens", "completion_tokens", "total_tokens"})
    bad("\"" + std::string(f) + "\":1000000001", f);
  BOOST_TEST(*parse(base + R"("prompt_tokens":1000000000})")[0].prompt_tokens == 1000000000);
  for (const char* f : {"latency_ms", "ttft_ms"}) bad("\"" + std::string(f) + "\":86400001", f);
  bad(R"("cost":1000001)", "cost");
  bad(R"("cost":1.7e308)", "cost");
  expect_invalid("[" + base + R"("cost":1}, )" + base + R"("cost":1.7e308}])", 1, "cost");
  BOOST_TEST(field_of(parse(base + R"("cost":1000000})")[0], column("cost")) == "1e+06");
  // Out-of-range floats never get through (either the parser or the field check says no).
  BOOST_CHECK_THROW(parse(base + R"("cost":1e999})"), EntryError);
}

BOOST_AUTO_TEST_CASE(entry_time_is_base_rfc3339_from_the_epoch_on) {
  // The parser itself is base's (tests/unit/base/common/time_test.cpp); entries add only
  // the lower bound: the log partitions start at 1970.
  using ez::logq::parse_entry_time_us;
  BOOST_TEST(*parse_entry_time_us("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*parse_entry_time_us("2024-01-01T01:00:00+01:00") ==
             *ez::parse_rfc3339_us("2024-01-01T00:00:00Z"));
  BOOST_TEST(!parse_entry_time_us("1969-12-31T23:59:59Z").has_value());
  BOOST_TEST(!parse_entry_time_us("1970-01-01T00:59:59+01:00").has_value());
  BOOST_TEST(parse_entry_time_us("9999-12-31T23:59:59.999999Z").has_value());
  BOOST_TEST(!parse_entry_time_us("2016-12-31T23:59:60Z").has_value());  // as Go's time.Parse
}

BOOST_AUTO_TEST_CASE(hostile_strings) {
  // NUL and broken UTF-8 would make PostgreSQL reject the row (and block the queue).
  expect_invalid(R"({"request_id":"a\u0000b"})", 0, "request_id");
  expect_invalid(R"({"request_id":"a","model":"m\u0000"})", 0, "model");
  expect_invalid("{\"request_id\":\"a\xff\"}", 0, "request_id");
  expect_invalid("{\"request_id\":\"\xc0\xaf\"}", 0, "request_id");      // overlong '/'
  expect_invalid("{\"request_id\":\"\xed\xa0\x80\"}", 0, "request_id");  // raw surrogate
  expect_invalid(R"({"request_id":"\udc00"})", 0, "request_id");         // lone low surrogate
  BOOST_CHECK_THROW(parse(R"({"request_id":"\ud800"})"), EntryError);    // lone high surrogate
  // Characters COPY must escape survive as they are (escaping is the flusher's job).
  const std::string nasty = R"(tab\there\nnew\\line\r \\N 'q' \"d\" ; DROP TABLE logs; -- é 😀)";
  auto v = parse(R"({"request_id":")" + nasty + R"(","model":"\\N"})");
  BOOST_TEST(v[0].request_id == "tab\there\nnew\\line\r \\N 'q' \"d\" ; DROP TABLE logs; -- é 😀");
  BOOST_TEST(*v[0].model == "\\N");
  BOOST_TEST(field_of(v[0], column("model")) == "\\N");
  // A key that is no valid UTF-8 is refused, and the message does not echo raw bytes.
  auto e = failure("{\"request_id\":\"a\",\"k\xff\x01\":1}");
  BOOST_TEST(std::string(e.what()).find('\xff') == std::string::npos);
  BOOST_TEST(e.field() == "k??");
}

BOOST_AUTO_TEST_CASE(error_message_is_repaired_and_truncated_on_a_character_boundary) {
  auto v = parse(
      "{\"request_id\":\"a\",\"error_message\":\"x\\u0000y\xff"
      "z\"}");
  BOOST_TEST(*v[0].error_message == "x\xEF\xBF\xBDy\xEF\xBF\xBDz");
  // 4095 ASCII bytes then a 2-byte character: the character does not fit, so it goes.
  std::string msg(4095, 'm');
  msg += "é tail";
  auto t = parse(R"({"request_id":"a","error_message":")" + msg + "\"}");
  BOOST_TEST(t[0].error_message->size() == 4095u);
  BOOST_TEST(ez::is_valid_utf8(*t[0].error_message));
  std::string emoji;
  for (int i = 0; i < 2000; ++i) emoji += "😀";  // 8000 bytes
  auto u = parse(R"({"request_id":"a","error_message":")" + emoji + "\"}");
  BOOST_TEST(u[0].error_message->size() == 4096u);
  BOOST_TEST(ez::is_valid_utf8(*u[0].error_message));
  BOOST_TEST(ez::sanitize_utf8("abc", 2) == "ab");
  BOOST_TEST(ez::sanitize_utf8("", 10).empty());
}

BOOST_AUTO_TEST_CASE(unknown_fields_go_to_extra) {
  auto v = parse(R"({"request_id":"a","region":"eu","retry":{"n":2,"why":["x"]},"n":null,
    "extra":{"trace":"t1"}})");
  BOOST_REQUIRE(v[0].extra_json.has_value());
  const std::string& x = *v[0].extra_json;
  BOOST_TEST(x.find(R"("region":"eu")") != std::string::npos);
  BOOST_TEST(x.find(R"("retry":{"n":2,"why":["x"]})") != std::string::npos);
  BOOST_TEST(x.find(R"("trace":"t1")") != std::string::npos);
  BOOST_TEST(x.find(R"("n":null)") != std::string::npos);
  BOOST_TEST(x.find('\n') == std::string::npos);
  auto u = parse(R"({"request_id":"a","note":"héllo"})");
  BOOST_TEST(u[0].extra_json->find("héllo") != std::string::npos);

  // The same name at the top level and inside extra (jsoncpp visits keys sorted, so
  // "extra" comes before "region" and the top-level one is named).
  expect_invalid(R"({"request_id":"a","region":"eu","extra":{"region":"us"}})", 0, "region");
  expect_invalid(R"({"request_id":"a","extra":{"zone":"us"},"zone":"eu"})", 0, "zone");
  expect_invalid(R"({"request_id":"a","alpha":1,"extra":{"alpha":2}})", 0, "extra.alpha");
  expect_invalid(R"({"request_id":"a","x":"\u0000"})", 0, "x");
  expect_invalid(R"({"request_id":"a","x":{"\u0000":1}})", 0, "x");
  expect_invalid(R"({"request_id":"a","extra":{"y":["ok","\u0000"]}})", 0, "extra.y");
  expect_invalid(R"({"request_id":"a","big":")" + std::string(9000, 'b') + "\"}", 0, "extra");
}

// RFC 8259 has no comments; jsoncpp skips them inside objects even in strict mode.
BOOST_AUTO_TEST_CASE(comments_are_refused_by_both_parsers) {
  for (const char* body :
       {R"({/*x*/"request_id":"a"})", R"({"request_id":"a"/*x*/})", R"({"request_id":"a"}//x)",
        "{\"request_id\":\"a\", // x\n \"model\":\"m\"}",
        R"([{"request_id":"a"},/**/{"request_id":"b"}])", R"(/*x*/{"request_id":"a"})",
        R"({"request_id":"a","extra":{"k":1/*x*/}})"}) {
    BOOST_TEST_CONTEXT(body) {
      auto e = failure(body);
      BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::bad_json));
      BOOST_TEST(std::string(e.what()).find("comment") != std::string::npos);
    }
  }
  auto nd = failure("{\"request_id\":\"a\"}\n{\"request_id\":\"b\"} // x\n", true);
  BOOST_TEST(nd.index() == 1);
  // Inside strings they are just text.
  auto v = parse(R"({"request_id":"a/*b*/c//d","note":"\"/*\\"})");
  BOOST_TEST(v[0].request_id == "a/*b*/c//d");
}

// Unknown fields keep the number text the client sent: jsonb (numeric) holds every digit,
// a double would not.
BOOST_AUTO_TEST_CASE(extra_numbers_are_kept_verbatim) {
  auto v = parse(R"({"request_id":"a","big":123456789012345678901234567890,"price":1.50,)"
                 R"("neg":-0,"exp":2.5E-6,"list":[18446744073709551616, 7],)"
                 R"("obj":{"n": 99999999999999999999},"extra":{"x":12345678901234567890123}})");
  BOOST_REQUIRE(v[0].extra_json.has_value());
  const std::string& x = *v[0].extra_json;
  BOOST_TEST(x.find(R"("big":123456789012345678901234567890)") != std::string::npos, x);
  BOOST_TEST(x.find(R"("price":1.50)") != std::string::npos, x);
  BOOST_TEST(x.find(R"("neg":-0)") != std::string::npos, x);
  BOOST_TEST(x.find(R"("exp":2.5E-6)") != std::string::npos, x);
  BOOST_TEST(x.find(R"("list":[18446744073709551616,7])") != std::string::npos, x);
  BOOST_TEST(x.find(R"("obj":{"n":99999999999999999999})") != std::string::npos, x);
  BOOST_TEST(x.find(R"("x":12345678901234567890123)") != std::string::npos, x);
  // The same in arrays and NDJSON, where each entry's numbers sit elsewhere in the text.
  auto a =
      parse(R"([{"request_id":"a","n":1},{"request_id":"b","n":123456789012345678901234567890}])");
  BOOST_TEST(*a[1].extra_json == R"({"n":123456789012345678901234567890})");
  auto n = parse("{\"request_id\":\"a\",\"n\":1}\n{\"request_id\":\"b\",\"n\":1e2}\n", true);
  BOOST_TEST(*n[1].extra_json == R"({"n":1e2})");
}

// "Accepted" means "kept for the retention period": what the next retention pass would
// drop is refused, naming timestamp and the window.
BOOST_AUTO_TEST_CASE(entries_older_than_the_retention_window_are_refused) {
  constexpr int64_t kDay = int64_t{86400} * 1'000'000;
  const int64_t oldest = ez::logq::oldest_kept_us(kArrival, 30);
  BOOST_TEST(oldest == kArrival / kDay * kDay - 30 * kDay);  // midnight UTC, 30 days back
  ParseOptions opt{false, kArrival, 1000, 30};
  auto body = [](int64_t us) {
    return R"({"request_id":"a","timestamp":)" + std::to_string(us / 1000) + "}";
  };
  BOOST_TEST(ez::logq::parse_body(body(oldest), opt).size() == 1u);
  BOOST_TEST(ez::logq::parse_body(R"({"request_id":"a"})", opt).size() == 1u);  // arrival time
  for (const std::string& old :
       {body(oldest - 1000),
        std::string(R"({"request_id":"a","timestamp":"1999-01-01T00:00:00Z"})"),
        std::string(R"([{"request_id":"a"},{"request_id":"b","timestamp":0}])")}) {
    BOOST_TEST_CONTEXT(old) {
      try {
        (void)ez::logq::parse_body(old, opt);
        BOOST_ERROR("accepted an entry older than the retention window");
      } catch (const EntryError& e) {
        BOOST_TEST(static_cast<int>(e.kind()) == static_cast<int>(Kind::invalid_field));
        BOOST_TEST(e.field() == "timestamp");
        BOOST_TEST(std::string(e.what()).find("retention") != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("30") != std::string::npos);
      }
    }
  }
  // Without a window (0) nothing is refused for its age.
  BOOST_TEST(
      ez::logq::parse_body(body(oldest - 1000), ParseOptions{false, kArrival, 1000}).size() == 1u);
}

std::string encode_all_entries(const std::vector<LogEntry>& v) {
  std::string out;
  for (const auto& e : v) out += ez::logq::encode(e) + "|";
  return out;
}

// Kind of the EntryError `f` throws, or "none".
template <typename F>
std::string refusal_of(F f) {
  try {
    f();
  } catch (const EntryError& e) {
    return e.kind() == Kind::too_many ? "too_many" : "other";
  }
  return "none";
}

BOOST_AUTO_TEST_CASE(too_many_entries) {
  std::string body = "[";
  for (int i = 0; i < 1001; ++i) body += std::string(i ? "," : "") + R"({"request_id":"r"})";
  body += "]";
  std::string nd;
  for (int i = 0; i < 1001; ++i) nd += "{\"request_id\":\"r\"}\n";
  for (bool ndjson : {false, true}) {
    const std::string& b = ndjson ? nd : body;
    BOOST_TEST(refusal_of([&] { (void)parse(b, ndjson); }) == "too_many");
    std::vector<LogEntry> out;
    const ParseOptions opt{ndjson, kArrival, 1000};
    // Both parsers say so on their own: the fast one no longer hands the body over.
    BOOST_TEST(refusal_of([&] { (void)ez::logq::detail::parse_body_fast(b, opt, out); }) ==
               "too_many");
    BOOST_TEST(refusal_of([&] { ez::logq::detail::parse_body_full(b, opt, out); }) == "too_many");
  }
  // Exactly at the limit is fine.
  BOOST_TEST(ez::logq::parse_body(body.substr(0, body.rfind(',')) + "]",
                                  ParseOptions{false, kArrival, 1001})
                 .size() == 1000u);
}

// The entry limit is checked while parsing: whatever follows entry max_entries + 1 is never
// read, so a huge body over the limit is refused after its first entries, not after all of it.
BOOST_AUTO_TEST_CASE(entries_past_the_limit_are_not_parsed) {
  const ParseOptions opt{false, kArrival, 3};
  const ParseOptions nd_opt{true, kArrival, 3};
  const std::string good = R"({"request_id":"r"})";
  const std::string escaped = R"({"request_id":"r\n","x":[1,{"y":"],"}]})";  // full parser only
  // Broken JSON after the limit: not seen, so too_many (413), not bad_json (400).
  const std::string broken_tail = "[" + good + "," + good + "," + good + "," + good + ",{{{{ \"";
  BOOST_TEST(refusal_of([&] { (void)ez::logq::parse_body(broken_tail, opt); }) == "too_many");
  const std::string nd_broken_tail =
      good + "\n" + good + "\n\n" + good + "\n" + good + "\n{{{{\n" + std::string(100, '[');
  BOOST_TEST(refusal_of([&] { (void)ez::logq::parse_body(nd_broken_tail, nd_opt); }) == "too_many");
  // The same through the full parser (entries the fast path declines), nesting and commas
  // inside strings not counted as elements.
  const std::string full_only = "[" + escaped + "," + escaped + "," + escaped + ",{\"a\":[[,,,";
  BOOST_TEST(refusal_of([&] { (void)ez::logq::parse_body(full_only, opt); }) == "too_many");
  const std::string three = "[" + escaped + "," + escaped + "," + escaped + "]";
  BOOST_TEST(ez::logq::parse_body(three, opt).size() == 3u);
  // Under the limit, broken JSON is still bad_json.
  BOOST_TEST(refusal_of([&] { (void)ez::logq::parse_body("[" + good + ",{{", opt); }) == "other");
}

// Differential at a small limit: on damaged multi-entry bodies, the fast path's too_many is
// always the full parser's verdict too, and what fast accepts full accepts identically.
BOOST_AUTO_TEST_CASE(fast_and_full_agree_on_the_entry_limit) {
  std::mt19937 rng(1414);
  const std::string alphabet = "{}[]\",:\n r0";
  const std::string entry = R"({"request_id":"r","status_code":200})";
  size_t fast_too_many = 0;
  for (int round = 0; round < 3000; ++round) {
    const int n = 1 + static_cast<int>(rng() % 5);
    const bool ndjson = rng() % 2;
    std::string body = ndjson ? "" : "[";
    for (int i = 0; i < n; ++i) body += (i ? (ndjson ? "\n" : ",") : "") + entry;
    if (!ndjson) body += "]";
    if (rng() % 2) body[rng() % body.size()] = alphabet[rng() % alphabet.size()];
    const ParseOptions opt{ndjson, kArrival, 3};
    std::vector<LogEntry> fast, full;
    bool fast_ok = false;
    const std::string f =
        refusal_of([&] { fast_ok = ez::logq::detail::parse_body_fast(body, opt, fast); });
    const std::string g = refusal_of([&] { ez::logq::detail::parse_body_full(body, opt, full); });
    BOOST_TEST_CONTEXT(body) {
      BOOST_TEST(f != "other");  // the fast path throws nothing but too_many
      if (f == "too_many") {
        ++fast_too_many;
        BOOST_TEST(g == "too_many");
      } else if (fast_ok) {
        BOOST_TEST(g == "none");
        BOOST_TEST(encode_all_entries(fast) == encode_all_entries(full));
      }
    }
  }
  BOOST_TEST(fast_too_many > 100u);
}

BOOST_AUTO_TEST_CASE(encoding_roundtrip_and_corruption) {
  auto v = parse(R"({"request_id":"a\tb","model":"","cost":1.5e-7,"extra":{"k":1}})");
  const std::string enc = ez::logq::encode(v[0]);
  EncodedFields f;
  BOOST_REQUIRE(ez::logq::decode(enc, f));
  BOOST_TEST(*f[column("request_id")] == "a\tb");
  BOOST_TEST(f[column("model")].has_value());
  BOOST_TEST(f[column("model")]->empty());  // empty string is not NULL
  BOOST_TEST(!f[column("master_id")].has_value());
  BOOST_TEST(*f[column("cost")] == "1.5e-07");
  BOOST_TEST(*f[column("extra")] == R"({"k":1})");
  BOOST_TEST(*f[column("received_at")] == "2023-11-14 22:13:20.123456+00");
  BOOST_TEST(!ez::logq::decode(enc.substr(0, enc.size() - 1), f));
  BOOST_TEST(!ez::logq::decode(enc + "x", f));
  BOOST_TEST(!ez::logq::decode("", f));
}

// The queue encoding byte for byte, written out from its description in entry.h: the flusher
// of another release and queue segments that outlive a binary read exactly this.
BOOST_AUTO_TEST_CASE(queue_encoding_is_byte_for_byte_the_documented_format) {
  LogEntry e;
  e.ts_us = 1700000000123456;
  e.received_us = 1700000000123457;
  e.request_id = "r1";
  e.master_id = 1;
  e.key_id = 2;
  e.ns = "default";
  e.model = "gpt-4o";
  e.provider_id = 3;
  e.provider_type = "openai";
  e.status_code = 200;
  e.latency_ms = 1234;
  e.prompt_tokens = 10;
  e.completion_tokens = 20;
  e.total_tokens = 30;
  e.cost = 0.5;
  e.client_ip = "10.0.0.1";
  e.stream = true;
  e.error_message = "x";
  e.extra_json = R"({"k":1})";
  auto field = [](std::string_view v) {
    const auto n = static_cast<uint32_t>(v.size());
    return std::string{static_cast<char>(n & 0xFF), static_cast<char>(n >> 8 & 0xFF),
                       static_cast<char>(n >> 16 & 0xFF), static_cast<char>(n >> 24)} +
           std::string(v);
  };
  const std::string null(4, '\xFF');
  const std::string want = field("2023-11-14 22:13:20.123456+00") +
                           field("2023-11-14 22:13:20.123457+00") + field("r1") + field("1") +
                           field("2") + field("default") + field("gpt-4o") + null + field("3") +
                           field("openai") + null + field("200") + field("1234") + null +
                           field("10") + field("20") + field("30") + field("0.5") +
                           field("10.0.0.1") + field("t") + null + field("x") + field(R"({"k":1})");
  BOOST_TEST(ez::logq::encode(e) == want);
  std::string appended = "prefix";
  ez::logq::encode_append(e, appended);
  BOOST_TEST(appended == "prefix" + want);
}

// ---- the fast path against the full parser ---------------------------------------------------

namespace {

std::string encode_all(const std::vector<LogEntry>& v) {
  std::string out;
  for (const auto& e : v) {
    ez::logq::encode_append(e, out);
    out += '|';
  }
  return out;
}

// Full parser's verdict: encoded entries, or nullopt if it refuses.
std::optional<std::string> full_result(std::string_view body, bool ndjson) {
  std::vector<LogEntry> v;
  try {
    ez::logq::detail::parse_body_full(body, ParseOptions{ndjson, kArrival, 1000}, v);
  } catch (const EntryError&) {
    return std::nullopt;
  }
  return encode_all(v);
}

const char* const kPlainBodies[] = {
    R"({"request_id":"r"})",
    R"(  {"request_id" : "r-1", "model":"gpt-4o","status_code":200,"latency_ms":0,"cost":0.5} )",
    R"({"request_id":"a","master_id":1,"key_id":2,"namespace":"default","model":"gpt-4o",
        "upstream_model":"gpt-4o-2024-08-06","provider_id":3,"provider_type":"openai",
        "route_group":"default","status_code":599,"latency_ms":1234,"ttft_ms":210,
        "prompt_tokens":812,"completion_tokens":256,"total_tokens":1068,"cost":0.01234,
        "client_ip":"10.1.2.3","stream":true,"error_type":"upstream","error_message":"boom é",
        "timestamp":"2024-05-06T07:08:09.123456789+02:00"})",
    R"([{"request_id":"a","timestamp":1700000000123},{"request_id":"b","stream":false,"cost":1e-3}])",
    R"([])",
    R"([ {"request_id":"x","model":null,"cost":12,"status_code":100} ])",
    R"({"request_id":"big","master_id":9223372036854775807,"cost":1000000})",
    R"({"request_id":"c","cost":0,"error_message":""})",
    R"({"request_id":"c","cost":0.1E+2,"timestamp":0})",
    "{\"request_id\":\"utf\",\"error_message\":\"bad \xff byte\"}",
};

}  // namespace

BOOST_AUTO_TEST_CASE(fast_path_takes_plain_bodies_and_agrees_with_the_full_parser) {
  for (const char* body : kPlainBodies) {
    BOOST_TEST_CONTEXT(body) {
      std::vector<LogEntry> fast;
      BOOST_TEST(
          ez::logq::detail::parse_body_fast(body, ParseOptions{false, kArrival, 1000}, fast));
      const auto full = full_result(body, false);
      BOOST_REQUIRE(full.has_value());
      BOOST_TEST(encode_all(fast) == *full);
    }
  }
  const std::string nd = std::string(kPlainBodies[0]) + "\n\n" + kPlainBodies[1] + "\r\n";
  std::vector<LogEntry> fast;
  BOOST_TEST(ez::logq::detail::parse_body_fast(nd, ParseOptions{true, kArrival, 1000}, fast));
  BOOST_TEST(fast.size() == 2u);
  BOOST_TEST(encode_all(fast) == *full_result(nd, true));
  // What the fast path leaves to the full one: escapes, unknown fields, nesting.
  for (const char* other :
       {R"({"request_id":"a\nb"})", R"({"request_id":"a","tier":"gold"})",
        R"({"request_id":"a","extra":{}})", R"({"request_id":"a","cost":-0.0})"}) {
    BOOST_TEST(!ez::logq::detail::parse_body_fast(other, ParseOptions{false, kArrival, 1000}, fast),
               other);
    BOOST_TEST(full_result(other, false).has_value(), other);
  }
}

// Random damage to plain bodies: whatever the fast path still accepts, the full parser must
// accept too, with the same entries. (Bounded: a few thousand mutations, no timing.)
BOOST_AUTO_TEST_CASE(fast_path_never_accepts_what_the_full_parser_refuses) {
  std::mt19937 rng(20240506);
  const std::string alphabet = "{}[]\",:.-+eE0123456789 \t\n\\nultrfas\x01\xff\xc3\xa9xyz/*";
  size_t fast_taken = 0, checked = 0;
  for (int round = 0; round < 6000; ++round) {
    std::string body = kPlainBodies[rng() % std::size(kPlainBodies)];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !body.empty(); ++k) {
      const size_t at = rng() % body.size();
      switch (rng() % 4) {
        case 0:
          body[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          body.insert(body.begin() + static_cast<long>(at), alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          body.erase(at, 1 + rng() % 3);
          break;
        case 3:
          body.resize(at);
          break;
      }
    }
    for (bool ndjson : {false, true}) {
      std::vector<LogEntry> fast;
      if (!ez::logq::detail::parse_body_fast(body, ParseOptions{ndjson, kArrival, 1000}, fast))
        continue;
      ++fast_taken;
      const auto full = full_result(body, ndjson);
      BOOST_REQUIRE_MESSAGE(full.has_value(), "fast accepted, full refused: " << body);
      BOOST_REQUIRE_MESSAGE(encode_all(fast) == *full, "fast and full differ: " << body);
      ++checked;
    }
  }
  BOOST_TEST(fast_taken > 100u);  // the mutations do not all break the body
  BOOST_TEST_MESSAGE("fast path: " << checked << " mutated bodies accepted, all agreeing");
}

// ---- every field rule at and past its limits, in both parsers ---------------------------------

namespace {

using ez::logq::detail::FieldRule;
using ez::logq::detail::JsonType;

// One value for a field, and what the rules say of it (worked out here from the rule, not by
// either parser): accepted, and then the text its column must hold.
struct Probe {
  std::string json;
  bool accepted;
  std::string column_text;  // when accepted; "<NULL>" for null
};

std::string digits(int64_t v) {
  return std::to_string(v);
}

std::vector<Probe> probes_for(const FieldRule& r) {
  std::vector<Probe> p;
  const std::string null_text = "<NULL>";
  // null means absent: the column is NULL, but for the timestamp, which defaults to arrival.
  p.push_back({"null", !r.required,
               r.type == JsonType::time ? "2023-11-14 22:13:20.123456+00" : null_text});
  switch (r.type) {
    case JsonType::string: {
      const auto min = static_cast<size_t>(r.min), max = static_cast<size_t>(r.max);
      auto quoted = [](const std::string& s) { return "\"" + s + "\""; };
      for (size_t n : {min, max, max + 1, min > 0 ? min - 1 : max + 2}) {
        const std::string a(n, 'a');
        const bool ok = r.repair || (n >= min && n <= max);
        p.push_back({quoted(a), ok, r.repair ? a.substr(0, max) : a});
      }
      // A two-byte character across the limit: cut before it (repair) or refused.
      const std::string across = std::string(max - 1, 'a') + "\xC3\xA9";
      p.push_back({quoted(across), r.repair, std::string(max - 1, 'a')});
      p.push_back({quoted("bad \xFF"), r.repair, "bad \xEF\xBF\xBD"});
      p.push_back({"42", false, ""});
      p.push_back({"true", false, ""});
      break;
    }
    case JsonType::integer: {
      p.push_back({digits(r.min), true, digits(r.min)});
      p.push_back({digits(r.max), true, digits(r.max)});
      p.push_back({digits(r.min - 1), false, ""});  // no rule starts at INT64_MIN
      p.push_back({r.max == INT64_MAX ? "9223372036854775808" : digits(r.max + 1), false, ""});
      p.push_back({digits(r.min) + ".0", false, ""});
      p.push_back({"1e2", false, ""});
      p.push_back({"\"" + digits(r.min) + "\"", false, ""});
      p.push_back({"false", false, ""});
      break;
    }
    case JsonType::time: {
      p.push_back({"0", true, "1970-01-01 00:00:00.000000+00"});
      p.push_back({digits(r.max), true, "9999-12-31 23:59:59.999000+00"});
      p.push_back({digits(r.max + 1), false, ""});
      p.push_back({"-1", false, ""});
      p.push_back({"\"2024-02-29T23:59:59.5+01:00\"", true, "2024-02-29 22:59:59.500000+00"});
      p.push_back({"\"2023-02-29T00:00:00Z\"", false, ""});
      p.push_back({"\"2024-01-01T00:00:00\"", false, ""});  // no offset
      p.push_back({"1.5", false, ""});
      p.push_back({"true", false, ""});
      break;
    }
    case JsonType::number:
      p.push_back({digits(r.min), true, digits(r.min)});
      p.push_back({"0.25", true, "0.25"});
      // A cost is encoded in its shortest round-trip form: the ceiling 10^6 is "1e+06".
      p.push_back({digits(r.max), true, r.max == 1000000 ? "1e+06" : digits(r.max)});
      p.push_back({digits(r.max + 1), false, ""});
      p.push_back({"1.7976931348623157e308", false, ""});
      p.push_back({digits(r.min - 1), false, ""});
      p.push_back({"\"1\"", false, ""});
      p.push_back({"true", false, ""});
      break;
    case JsonType::boolean:
      p.push_back({"true", true, "t"});
      p.push_back({"false", true, "f"});
      p.push_back({"1", false, ""});
      p.push_back({"\"true\"", false, ""});
      break;
    case JsonType::object:
      p.push_back({"{}", true, null_text});
      p.push_back({R"({"tier":"gold"})", true, R"({"tier":"gold"})"});
      p.push_back({"[]", false, ""});
      p.push_back({"\"x\"", false, ""});
      break;
  }
  return p;
}

// The column a field lands in (the same name but for timestamp).
std::string column_of(std::string_view field) {
  return field == "timestamp" ? "ts" : std::string(field);
}

}  // namespace

// The dashboard showed 258.1k total tokens beside 471k in and 387k out: entries without
// total_tokens counted 0. Absent, it is prompt + completion (an absent count being 0), in the
// entry itself, so the raw row and the rollups agree; a given total is kept as given.
BOOST_AUTO_TEST_CASE(an_absent_total_is_prompt_plus_completion) {
  const std::string body = R"([{"request_id":"a","prompt_tokens":471,"completion_tokens":387},
    {"request_id":"b","prompt_tokens":5},{"request_id":"c","completion_tokens":7},
    {"request_id":"d"},{"request_id":"e","prompt_tokens":1,"completion_tokens":2,"total_tokens":9},
    {"request_id":"f","prompt_tokens":1000000000,"completion_tokens":1000000000}])";
  const auto e = parse(body);
  BOOST_REQUIRE(e.size() == 6u);
  BOOST_TEST(*e[0].total_tokens == 858);
  BOOST_TEST(*e[1].total_tokens == 5);
  BOOST_TEST(*e[2].total_tokens == 7);
  BOOST_TEST(!e[3].total_tokens);
  BOOST_TEST(*e[4].total_tokens == 9);
  BOOST_TEST(*e[5].total_tokens == 2000000000);
  BOOST_TEST(field_of(e[0], column("total_tokens")) == "858");
}

BOOST_AUTO_TEST_CASE(every_field_rule_holds_in_both_parsers_at_and_past_its_limits) {
  size_t cases = 0, fast_taken = 0;
  for (const FieldRule& rule : ez::logq::detail::field_rules()) {
    for (const Probe& probe : probes_for(rule)) {
      const std::string field = "\"" + std::string(rule.name) + "\":" + probe.json;
      const std::string body =
          rule.name == "request_id" ? "{" + field + "}" : R"({"request_id":"r",)" + field + "}";
      BOOST_TEST_CONTEXT(body) {
        ++cases;
        const ParseOptions opt{false, kArrival, 1000};
        std::vector<LogEntry> full;
        std::optional<EntryError> refusal;
        try {
          ez::logq::detail::parse_body_full(body, opt, full);
        } catch (const EntryError& e) {
          refusal = e;
        }
        BOOST_TEST(!refusal == probe.accepted);
        if (refusal) {
          BOOST_TEST(refusal->field() == std::string(rule.name));  // the refusal names it
          const Kind want =
              rule.required && probe.json == "null" ? Kind::missing_field : Kind::invalid_field;
          BOOST_TEST(static_cast<int>(refusal->kind()) == static_cast<int>(want));
        } else {
          BOOST_REQUIRE(full.size() == 1u);
          BOOST_TEST(field_of(full[0], column(column_of(rule.name))) == probe.column_text);
        }
        std::vector<LogEntry> fast;
        const bool fast_ok = ez::logq::detail::parse_body_fast(body, opt, fast);
        // The fast path takes every plain accepted value (extra's members are the full
        // parser's), and what it takes it reads as the full parser does.
        BOOST_TEST(fast_ok ==
                   (probe.accepted && (rule.type != JsonType::object || probe.json == "null")));
        if (fast_ok && !refusal) {
          ++fast_taken;
          BOOST_TEST(encode_all(fast) == encode_all(full));
        }
      }
    }
  }
  BOOST_TEST(fast_taken > 50u);
  BOOST_TEST_MESSAGE("field rules: " << cases << " probes, " << fast_taken << " through both");
}

BOOST_AUTO_TEST_SUITE_END()
