#include "api/logs_handler.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/routes.h"
#include "common/time.h"
#include "context/context.h"
#include "http/error.h"
#include "logq/entry.h"

namespace ez::api {

namespace {

using http::ApiError;
using http::ErrorCode;

// "application/x-ndjson; charset=utf-8" -> true for NDJSON, false for JSON; 415 otherwise.
bool is_ndjson(const http::Request& req) {
  const auto header = req.header("content-type");
  if (!header) return false;  // the balancer may omit it: treat as JSON
  std::string type = header->substr(0, header->find(';'));
  type.erase(
      std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c); }),
      type.end());
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (type == "application/x-ndjson" || type == "application/ndjson" ||
      type == "application/jsonl" || type == "application/x-jsonlines")
    return true;
  if (type.empty() || type == "application/json" || type == "text/json") return false;
  throw ApiError(ErrorCode::unsupported_media,
                 "Content-Type must be application/json or application/x-ndjson");
}

[[noreturn]] void rethrow_as_api_error(const logq::EntryError& e) {
  using Kind = logq::EntryError::Kind;
  std::string field;
  if (e.index() >= 0) {
    field = "[" + std::to_string(e.index()) + "]";
    if (!e.field().empty()) field += "." + e.field();
  }
  switch (e.kind()) {
    case Kind::bad_json:
      throw ApiError(ErrorCode::bad_json, e.what(), field);
    case Kind::missing_field:
      throw ApiError(ErrorCode::missing_field, e.what(), field);
    case Kind::invalid_field:
      throw ApiError(ErrorCode::invalid_field, e.what(), field);
    case Kind::too_many:
      throw ApiError(ErrorCode::payload_too_large, e.what());
  }
  throw ApiError(ErrorCode::bad_request, e.what(), field);
}

http::Response post_logs(context::Context& ctx, http::Request& req) {
  (void)require_internal(ctx, req);
  return accept_logs(ctx.log_queue, req,
                     std::chrono::milliseconds{ctx.settings().log_enqueue_wait_ms},
                     ctx.settings().log_retention_days);
}

}  // namespace

http::Response accept_logs(logq::Ring* ring, const http::Request& req,
                           std::chrono::milliseconds enqueue_wait, int retention_days) {
  if (!ring)
    throw ApiError(ErrorCode::queue_full, "the log queue is not available on this worker")
        .with_retry_after(kLogsRetryAfterSeconds);
  const bool ndjson = is_ndjson(req);

  logq::ParseOptions opt;
  opt.ndjson = ndjson;
  opt.arrival_us = unix_now_us();
  opt.retention_days = retention_days;
  opt.max_entries = static_cast<size_t>(
      std::min<uint64_t>(ring->capacity_entries(), logq::Ring::kMaxEntriesPerRecord));
  // Reused across requests (a worker serves one at a time): no allocation per request for
  // the containers themselves.
  static thread_local std::vector<logq::LogEntry> entries;
  try {
    logq::parse_body(req.body, opt, entries);
  } catch (const logq::EntryError& e) {
    if (entries.capacity() > 1024) std::vector<logq::LogEntry>().swap(entries);
    rethrow_as_api_error(e);
  }
  const size_t count = entries.size();

  // One buffer for the whole request.
  static thread_local std::string blob;
  static thread_local std::vector<size_t> ends;
  static thread_local std::vector<std::string_view> views;
  blob.clear();
  ends.clear();
  views.clear();
  for (const auto& e : entries) {
    logq::encode_append(e, blob);
    ends.push_back(blob.size());
  }
  for (size_t i = 0, start = 0; i < ends.size(); start = ends[i++])
    views.emplace_back(blob.data() + start, ends[i] - start);
  const auto result = ring->enqueue_wait(views, enqueue_wait);
  views.clear();
  // Keep one huge request from pinning its memory in this worker for good.
  if (blob.capacity() > (1 << 20)) std::string().swap(blob);
  if (entries.capacity() > 1024) std::vector<logq::LogEntry>().swap(entries);
  switch (result.status) {
    case logq::Ring::Status::ok: {
      http::Response r;  // built by hand: this is the hottest answer of the API
      r.status = 202;
      r.body = "{\"accepted\":" + std::to_string(count) + "}";
      return r;
    }
    case logq::Ring::Status::too_large:
      throw ApiError(ErrorCode::payload_too_large,
                     "the request holds more than the log queue can take at once (" +
                         std::to_string(ring->capacity_entries()) + " entries, " +
                         std::to_string(ring->capacity_bytes()) + " bytes): split it");
    case logq::Ring::Status::full:
    case logq::Ring::Status::abandoned:  // we stalled past the flusher's patience: not queued
      break;
  }
  throw ApiError(ErrorCode::queue_full, "the log queue is full; nothing was accepted, retry later")
      .with_retry_after(kLogsRetryAfterSeconds);
}

void register_logs_routes(http::Router& r) {
  r.add("POST", "/logs", post_logs);
}

}  // namespace ez::api
