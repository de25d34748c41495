#include "api/admission.h"

#include <string>

#include "common/error.h"

namespace ez::api {

namespace {

// An export runs for seconds: a second is too early to find a place free.
constexpr int kExportRetryAfterSeconds = 5;
constexpr int kSearchRetryAfterSeconds = 1;

}  // namespace

uint64_t gate_key(std::string_view name) {
  uint64_t h = 14695981039346656037ULL;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

std::shared_ptr<Admission> admit_export(context::Context& ctx) {
  const int limit = ctx.settings().usage_export_max_concurrent;
  if (ctx.runtime && !ctx.runtime->enter_gate(gate_key("export"), limit))
    throw Error(ErrorCode::overloaded,
                std::to_string(limit) +
                    " export(s) already running on this host (usage.export_max_concurrent); "
                    "retry later")
        .with_retry_after(kExportRetryAfterSeconds);
  return std::make_shared<Admission>(ctx.runtime);
}

std::unique_ptr<Admission> admit_search(context::Context& ctx, std::string_view caller) {
  const int limit = ctx.settings().usage_search_max_concurrent;
  std::string name = "search:";
  name += caller;
  if (ctx.runtime && !ctx.runtime->enter_gate(gate_key(name), limit))
    throw Error(ErrorCode::too_many_requests,
                "this caller already runs " + std::to_string(limit) +
                    " search(es) at once (usage.search_max_concurrent); wait for them")
        .with_retry_after(kSearchRetryAfterSeconds);
  return std::make_unique<Admission>(ctx.runtime);
}

}  // namespace ez::api
