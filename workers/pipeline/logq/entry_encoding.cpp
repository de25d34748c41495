// Queue encoding of a LogEntry (see entry.h): what the workers put in the shared-memory
// ring and the flusher COPYs. Queue files outlive binaries, so this format must not change.
#include <charconv>
#include <cstring>

#include "logq/entry.h"

namespace ez::logq {

namespace {

constexpr uint32_t kNull = 0xFFFFFFFF;

void put_field(std::string& out, std::string_view value) {
  const auto len = static_cast<uint32_t>(value.size());
  out.append(reinterpret_cast<const char*>(&len), 4);
  out.append(value);
}
void put_null(std::string& out) {
  out.append(reinterpret_cast<const char*>(&kNull), 4);
}

void put_int(std::string& out, const std::optional<int64_t>& v) {
  if (!v) return put_null(out);
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, *v);
  put_field(out, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}
void put_text(std::string& out, const std::optional<std::string>& v) {
  if (!v) return put_null(out);
  put_field(out, *v);
}

}  // namespace

void encode(const LogEntry& e, std::string& out) {
  out.clear();
  encode_append(e, out);
}

void encode_append(const LogEntry& e, std::string& out) {
  put_field(out, format_timestamp_us(e.ts_us));
  put_field(out, format_timestamp_us(e.received_us));
  put_field(out, e.request_id);
  put_int(out, e.master_id);
  put_int(out, e.key_id);
  put_text(out, e.ns);
  put_text(out, e.model);
  put_text(out, e.upstream_model);
  put_int(out, e.provider_id);
  put_text(out, e.provider_type);
  put_text(out, e.route_group);
  put_int(out, e.status_code ? std::optional<int64_t>(*e.status_code) : std::nullopt);
  put_int(out, e.latency_ms);
  put_int(out, e.ttft_ms);
  put_int(out, e.prompt_tokens);
  put_int(out, e.completion_tokens);
  put_int(out, e.total_tokens);
  if (e.cost) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, *e.cost);  // shortest exact round-trip
    put_field(out, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  } else {
    put_null(out);
  }
  put_text(out, e.client_ip);
  if (e.stream)
    put_field(out, *e.stream ? "t" : "f");
  else
    put_null(out);
  put_text(out, e.error_type);
  put_text(out, e.error_message);
  put_text(out, e.extra_json);
}

std::string encode(const LogEntry& e) {
  std::string out;
  encode(e, out);
  return out;
}

bool decode(std::string_view data, EncodedFields& out) {
  size_t pos = 0;
  for (auto& field : out) {
    if (data.size() - pos < 4) return false;
    uint32_t len = 0;
    std::memcpy(&len, data.data() + pos, 4);
    pos += 4;
    if (len == kNull) {
      field.reset();
      continue;
    }
    if (data.size() - pos < len) return false;
    field = data.substr(pos, len);
    pos += len;
  }
  return pos == data.size();
}

}  // namespace ez::logq
