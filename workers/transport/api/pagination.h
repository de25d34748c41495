// Keyset pagination for every list: `?limit=` (default 50, 1..500, 400 beyond)
// and `?cursor=` (opaque; today base64url of the last id seen). Lists are
// ordered by id, so a page is `WHERE id > $after ORDER BY id LIMIT $fetch`:
// stable under concurrent inserts, every item seen once while walking the pages.
// The answer is {"items": [...], "next_cursor": "..." | null}.
//
//   auto page = parse_page(req);
//   auto rows = tx.exec_prepared("providers_list", page.after, page.fetch_limit(), ...);
//   return http::json(200, page_json(rows, page, row_to_json,
//                                    [](const pqxx::row& r) { return r["id"].as<int64_t>(); }));
#pragma once

#include <json/value.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "http/request.h"
#include "http/router.h"

namespace ez::api {

constexpr int64_t kDefaultPageLimit = 50;
constexpr int64_t kMaxPageLimit = 500;

struct PageRequest {
  int64_t limit = kDefaultPageLimit;
  int64_t after = 0;  // last id of the previous page; 0 = from the start
  // One more than shown: whether it came back says if there is a next page.
  [[nodiscard]] int64_t fetch_limit() const { return limit + 1; }
};

// 400 bad_request (field "limit" or "cursor") for a bad value.
[[nodiscard]] PageRequest parse_page(const http::Request& req);

// A list route's query parameters: its filters, then `limit` and `cursor`.
[[nodiscard]] inline http::QuerySpec paged(http::QuerySpec filters = {}) {
  filters.push_back({"limit", http::ParamType::integer});
  filters.push_back({"cursor"});
  return filters;
}

[[nodiscard]] std::string encode_cursor(int64_t last_id);
[[nodiscard]] std::optional<int64_t> decode_cursor(const std::string& cursor);

// {"items": [...first `limit` rows...], "next_cursor": cursor after the last shown | null}.
// `rows` is anything with size() and operator[] (pqxx::result, std::vector) fetched
// with LIMIT page.fetch_limit().
template <typename Rows, typename ToJson, typename IdOf>
[[nodiscard]] Json::Value page_json(const Rows& rows, const PageRequest& page, ToJson&& to_json,
                                    IdOf&& id_of) {
  Json::Value items(Json::arrayValue);
  const auto total = static_cast<size_t>(rows.size());
  const size_t shown = std::min(total, static_cast<size_t>(page.limit));
  for (size_t i = 0; i < shown; ++i) items.append(to_json(rows[i]));
  Json::Value out(Json::objectValue);
  out["items"] = std::move(items);
  out["next_cursor"] = total > shown && shown > 0
                           ? Json::Value(encode_cursor(id_of(rows[shown - 1])))
                           : Json::Value(Json::nullValue);
  return out;
}

}  // namespace ez::api
