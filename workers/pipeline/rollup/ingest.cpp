#include "rollup/ingest.h"

#include <json/reader.h>
#include <json/value.h>

#include <memory>

namespace ez::rollup {

std::optional<int64_t> cache_read_tokens(std::string_view extra_json) {
  // Most entries have no extra, or no such field: skip the parser.
  if (extra_json.find("cache_read_tokens") == std::string_view::npos) return std::nullopt;
  Json::CharReaderBuilder b;
  b["allowComments"] = false;
  std::unique_ptr<Json::CharReader> reader(b.newCharReader());
  Json::Value v;
  if (!reader->parse(extra_json.data(), extra_json.data() + extra_json.size(), &v, nullptr) ||
      !v.isObject())
    return std::nullopt;
  const Json::Value& t = v["cache_read_tokens"];
  if (!t.isIntegral() || (t.isInt64() && t.asInt64() < 0)) return std::nullopt;
  if (!t.isInt64()) return std::nullopt;  // beyond int64
  return t.asInt64();
}

const char* price_sql() {
  // numeric throughout: exact decimals; trim_scale drops the zeros the scale adds.
  return "SELECT u.i, trim_scale(((u.p - u.cr) * m.input_price + u.cr * "
         "coalesce(m.cache_read_price, m.input_price) + u.c * m.output_price) * 0.000001)::text "
         "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], "
         "$6::bigint[], $7::int[]) AS u(master_id, ns, model, p, c, cr, i) "
         "LEFT JOIN masters ma ON ma.id = u.master_id "
         "JOIN models m ON m.name = coalesce(u.ns, nullif(ma.default_namespace, ''), 'default') "
         "|| '.' || u.model "
         "WHERE m.input_price IS NOT NULL AND m.output_price IS NOT NULL";
}

}  // namespace ez::rollup
