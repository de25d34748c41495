// The one decoder per table (db/*_repo.h decode) over text cells, fed here as
// COPY ... TO STDOUT writes them. The cases are those where the API's decoding
// (array_to_json + a JSON reader, pqxx conversions that throw on NULL) and the
// snapshot loader's (its own array split, COALESCE, date_part seconds) used to
// disagree; the repositories and the snapshots now share these rules.
#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/bindings_repo.h"
#include "db/cells.h"
#include "db/keys_repo.h"
#include "db/models_repo.h"
#include "db/providers_repo.h"

using namespace ez::db;
using Strings = std::vector<std::string>;

namespace {

// The cells of one COPY line made of `fields` ("\\N" is NULL), the way stream_keys
// reads them.
struct CopyLine {
  std::vector<std::optional<std::string>> fields;
  Cells cells;
  explicit CopyLine(const Strings& columns) {
    std::string line;
    for (size_t i = 0; i < columns.size(); ++i) line += (i ? "\t" : "") + columns[i];
    line += "\n";
    cells.assign(fields, split_copy_line(line, fields));
  }
};

Strings key_snapshot_columns() {
  return {std::string(64, 'a'), "7", "1", "ci", "", R"({ns,"a b"})", "{}",
          R"({"ns.m": {"rpm": 10}})", "{10.0.0.0/8}", "1734464000999999", "active", "admin",
          // "NULL" quoted is a string; NULL bare is no element; a backslash is
          // doubled by array_out and again by COPY.
          R"({"NULL",NULL,"x\\\\y"})", "t"};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(db_rows)

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

BOOST_AUTO_TEST_CASE(array_literals) {
  BOOST_TEST(parse_array_literal("{}") == Strings{});
  BOOST_TEST(parse_array_literal("{a,b}") == (Strings{"a", "b"}));
  BOOST_TEST(parse_array_literal(R"({a,"b c","d\"e","f\\g",""})") ==
             (Strings{"a", "b c", "d\"e", "f\\g", ""}));
  // NULL elements carry no value: dropped, in any case; a quoted "NULL" is a string.
  BOOST_TEST(parse_array_literal(R"({NULL,a,null,"NULL"})") == (Strings{"a", "NULL"}));
  // Quoted elements may hold the delimiters and braces.
  BOOST_TEST(parse_array_literal(R"({"a,b","{x}"})") == (Strings{"a,b", "{x}"}));
  // UTF-8 passes through.
  BOOST_TEST(parse_array_literal("{h\xc3\xa9,\"\xe2\x82\xac x\"}") ==
             (Strings{"h\xc3\xa9", "\xe2\x82\xac x"}));
}

BOOST_AUTO_TEST_CASE(array_literals_the_old_split_got_wrong) {
  // An array whose lower bound is not 1 (an UPDATE of models[0]) is printed with its
  // bounds first: the old snapshot split gave no elements, the API's JSON gave both.
  BOOST_TEST(parse_array_literal("[0:1]={a,b}") == (Strings{"a", "b"}));
  // Nested arrays are flattened rather than split on their inner commas.
  BOOST_TEST(parse_array_literal("{{a,b},{c,d}}") == (Strings{"a", "b", "c", "d"}));
  // Anything that is not an array literal, or one cut short, gives no elements.
  BOOST_TEST(parse_array_literal("") == Strings{});
  BOOST_TEST(parse_array_literal("abc") == Strings{});
  BOOST_TEST(parse_array_literal(R"({"unterminated})") == Strings{});
  BOOST_TEST(parse_array_literal("{a,b") == Strings{});
}

BOOST_AUTO_TEST_CASE(array_parameters_round_trip) {
  const Strings odd{"x", "y\"z", "w\\", "NULL", "a,b", ""};
  BOOST_TEST(text_array({"x", "y\"z", "w\\"}) == R"({"x","y\"z","w\\"})");
  BOOST_TEST(parse_array_literal(text_array(odd)) == odd);
  BOOST_TEST(int_array({1, 2}) == "{1,2}");
  BOOST_TEST(int_array({}) == "{}");
  // The decoder reuses the strings a previous row left.
  Strings reused{"old", "old2", "old3"};
  parse_array_literal("{a,NULL,b}", reused);
  BOOST_TEST(reused == (Strings{"a", "b"}));
  parse_array_literal("{}", reused);
  BOOST_TEST(reused.empty());
}

BOOST_AUTO_TEST_CASE(seconds_round_down) {
  BOOST_TEST(floor_seconds(1734464000999999) == 1734464000);
  BOOST_TEST(floor_seconds(0) == 0);
  BOOST_TEST(floor_seconds(-1) == -1);  // before 1970: not 0, which means "never"
  BOOST_TEST(floor_seconds(-1000000) == -1);
  BOOST_TEST(floor_seconds(-1000001) == -2);
}

BOOST_AUTO_TEST_CASE(key_snapshot_prefix) {
  const CopyLine line(key_snapshot_columns());
  BOOST_REQUIRE(line.cells.size() == kKeySnapshotColumns);
  KeyRow k;
  decode(line.cells, k);
  BOOST_TEST(k.token_hash == std::string(64, 'a'));
  BOOST_TEST(k.id == 7);
  BOOST_TEST(k.master_id == 1);
  BOOST_TEST(k.group.empty());
  BOOST_TEST(k.namespaces == (Strings{"ns", "a b"}));
  BOOST_TEST(k.scopes.empty());
  BOOST_TEST(k.model_rate_limits_text == R"({"ns.m": {"rpm": 10}})");
  BOOST_TEST(k.allow_ips == Strings{"10.0.0.0/8"});
  // Microseconds rounded down: date_part's double rounded .999999 up a second.
  BOOST_TEST(k.expires_unix == 1734464000);
  BOOST_TEST(k.model_limits == (Strings{"NULL", "x\\y"}));
  BOOST_TEST(k.model_limits_enabled);
  // The stream does not pay for the API's forms.
  BOOST_TEST(!k.expires_at.has_value());
  BOOST_TEST(k.created_at.empty());
}

BOOST_AUTO_TEST_CASE(key_whole_row_and_nulls) {
  Strings cols = key_snapshot_columns();
  const Strings extras{"ezk_abc",
                       "1734464000000000",
                       "1734464001500000",
                       "\\N",  // the master's group: NULL when the master is gone
                       "",
                       "10",
                       "3",
                       "f"};
  cols.insert(cols.end(), extras.begin(), extras.end());
  KeyRow k;
  {
    const CopyLine line(cols);
    BOOST_REQUIRE(line.cells.size() == kKeyColumns);
    decode(line.cells, k);
  }
  BOOST_REQUIRE(k.expires_at.has_value());
  BOOST_TEST(*k.expires_at == "2024-12-17T19:33:20.999999Z");
  BOOST_TEST(k.expires_unix == 1734464000);
  BOOST_TEST(k.model_rate_limits["ns.m"]["rpm"].asInt() == 10);
  BOOST_TEST(k.key_prefix == "ezk_abc");
  BOOST_TEST(k.created_at == "2024-12-17T19:33:20Z");
  BOOST_TEST(k.updated_at == "2024-12-17T19:33:21.500000Z");
  BOOST_TEST(k.master_group.empty());
  BOOST_TEST(k.quota_limit == 10);
  BOOST_TEST(k.quota_used == 3);
  BOOST_TEST(!k.unlimited_quota);

  // No expiry: NULL is "never" in both forms (the snapshot's 0, the API's null).
  cols[9] = "\\N";
  // A rate-limit map that is not an object reads as {} in both forms: the old
  // snapshot embedded the text as it was.
  cols[7] = "[]";
  const CopyLine line(cols);
  decode(line.cells, k);  // the same row object, as the stream reuses it
  BOOST_TEST(!k.expires_at.has_value());
  BOOST_TEST(k.expires_unix == 0);
  BOOST_TEST(k.model_rate_limits_text == "{}");
  BOOST_TEST(k.model_rate_limits.isObject());
  BOOST_TEST(k.model_rate_limits.empty());
  BOOST_TEST(to_json(k)["expires_at"].isNull());
}

BOOST_AUTO_TEST_CASE(provider_row) {
  // A provider's models with quotes, commas and a backslash, as COPY prints them.
  const CopyLine line({"42", "pg1", "openai", "", "sk-\\tx", "", "", "7", "default",
                       R"({gpt-4o,"a,b","q\\"u","b\\\\s"})", "2", "-1", "active", "t",
                       "1734464000000000", "1734464000000001"});
  ProviderRow p;
  decode(line.cells, p);
  BOOST_TEST(p.id == 42);
  BOOST_TEST(p.v.api_key == "sk-\tx");
  BOOST_TEST(p.group_id == 7);
  BOOST_TEST(p.v.group == "default");
  BOOST_TEST(p.v.models == (Strings{"gpt-4o", "a,b", "q\"u", "b\\s"}));
  BOOST_TEST(p.v.weight == 2);
  BOOST_TEST(p.v.priority == -1);
  BOOST_TEST(p.v.auto_ban);
  BOOST_TEST(p.created_at == "2024-12-17T19:33:20Z");
  BOOST_TEST(p.updated_at == "2024-12-17T19:33:20.000001Z");
}

BOOST_AUTO_TEST_CASE(binding_row) {
  const CopyLine line({"5", "ns", "gpt-4o", "missing", "exact", "", "1", "active",
                       "1734464000000000", "1734464099999999", "0"});
  BindingRow b;
  decode(line.cells, b);
  BOOST_TEST(b.v.ns == "ns");
  BOOST_TEST(b.v.route_group == "missing");
  BOOST_TEST(b.group_id == 0);  // no provider group of that name
  BOOST_TEST(b.updated_at == "2024-12-17T19:34:59.999999Z");
  BOOST_TEST(b.updated_unix == 1734464099);
}

BOOST_AUTO_TEST_CASE(model_row_prices) {
  const CopyLine line({"3", "ns.m", "chat", "128000", "2.5e-06", "t", "f", "f", "t", "t", "8192",
                       "0.0000025", "\\N", "0", "USD", "0", "0"});
  ModelRow m;
  decode(line.cells, m);
  BOOST_TEST(m.v.name == "ns.m");
  BOOST_TEST(m.v.cost_per_token == 2.5e-06);
  BOOST_TEST(m.v.supports_vision);
  BOOST_TEST(m.v.supports_fim);
  BOOST_REQUIRE(m.v.input_price.has_value());
  BOOST_TEST(*m.v.input_price == "0.0000025");  // numeric text, never a double
  BOOST_TEST(!m.v.output_price.has_value());    // NULL: not priced
  BOOST_REQUIRE(m.v.cache_read_price.has_value());
  BOOST_TEST(*m.v.cache_read_price == "0");
  BOOST_TEST(m.created_at == "1970-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(a_column_list_out_of_step_is_refused) {
  const CopyLine line({"1", "2"});
  KeyRow k;
  ProviderRow p;
  BOOST_CHECK_THROW(decode(line.cells, k), std::logic_error);
  BOOST_CHECK_THROW(decode(line.cells, p), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
