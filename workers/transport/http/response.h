#pragma once

#include <json/value.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json_text.h"

namespace ez::http {

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A streamed body (exports): when set, write_response sends the headers without a
  // Content-Length (nginx answers chunked) and calls it with a function that sends one
  // piece at a time, so the worker never holds the whole body. It must not throw: what
  // goes wrong after the headers are out is reported inside the body (see the exports).
  // The one exception is the Writer's own ClientGone (below), which it must let through.
  using Writer = std::function<void(std::string_view)>;
  std::function<void(const Writer&)> stream;

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// Thrown by a streamed body's Writer at the first piece that cannot be written: the
// client (nginx, after its own client went away) closed the connection, and nothing
// more will ever reach anybody, so the stream stops there instead of reading the rest of
// its rows. Deliberately not a std::exception: the catch-alls that turn a failure into
// an error line in the body let it through without a word.
struct ClientGone {};

// Compact JSON (one line), UTF-8 emitted as is: common/json_text.h.
using ez::to_json;
[[nodiscard]] Response json(int status, const Json::Value& value);
[[nodiscard]] Response text(int status, std::string body,
                            std::string content_type = "text/plain; charset=utf-8");
[[nodiscard]] Response no_content();

}  // namespace ez::http
