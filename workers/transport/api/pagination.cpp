#include "api/pagination.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>  // the BASE64_* options
#include <Poco/Exception.h>

#include <sstream>

#include "http/error.h"

namespace ez::api {

namespace {
// The cursor names what it holds so a future cursor format can be told apart.
constexpr std::string_view kCursorPrefix = "id:";
}  // namespace

std::string encode_cursor(int64_t last_id) {
  // base64url without padding, by hand: Poco's encoder on an ostringstream cost as much as
  // serialising a whole list item. decode_cursor (Poco) reads it back.
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text(kCursorPrefix);
  text += std::to_string(last_id);
  std::string out;
  out.reserve((text.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= text.size(); i += 3) {
    const uint32_t n = uint32_t(uint8_t(text[i])) << 16 | uint32_t(uint8_t(text[i + 1])) << 8 |
                       uint8_t(text[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const size_t rest = text.size() - i; rest > 0) {
    uint32_t n = uint32_t(uint8_t(text[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(text[i + 1])) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    if (rest == 2) out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<int64_t> decode_cursor(const std::string& cursor) {
  if (cursor.empty() || cursor.size() > 64) return std::nullopt;
  std::string text;
  try {
    std::istringstream in(cursor);
    Poco::Base64Decoder dec(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    std::getline(dec, text, '\0');
    if (dec.bad()) return std::nullopt;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  if (text.compare(0, kCursorPrefix.size(), kCursorPrefix) != 0) return std::nullopt;
  auto id = http::parse_int64(text.substr(kCursorPrefix.size()));
  if (!id || *id < 0) return std::nullopt;
  return id;
}

PageRequest parse_page(const http::Request& req) {
  PageRequest page;
  if (auto limit = req.query_param("limit")) {
    auto n = http::parse_int64(*limit);
    if (!n || *n < 1 || *n > kMaxPageLimit)
      http::fail(http::ErrorCode::bad_request,
                 "limit must be an integer between 1 and " + std::to_string(kMaxPageLimit),
                 "limit");
    page.limit = *n;
  }
  if (auto cursor = req.query_param("cursor"); cursor && !cursor->empty()) {
    auto after = decode_cursor(*cursor);
    if (!after)
      http::fail(http::ErrorCode::bad_request,
                 "cursor is not one this API returned (use next_cursor as is)", "cursor");
    page.after = *after;
  }
  return page;
}

}  // namespace ez::api
