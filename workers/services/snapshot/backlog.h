// The sync outbox's backlog for GET /metrics: how much PostgreSQL holds that Redis
// does not have yet, and for how long.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ez::context {
class Context;
}

namespace ez::snapshot {

// The sync outbox as GET /metrics reads it from PostgreSQL.
struct OutboxBacklog {
  int64_t rows = 0;
  double oldest_age_seconds = 0;  // 0 when empty
};

// std::nullopt when PostgreSQL cannot be asked (down, not migrated): the scrape still
// answers, without the outbox families. Never throws.
[[nodiscard]] std::optional<OutboxBacklog> outbox_backlog(context::Context& ctx) noexcept;

// ezapi_outbox_pending_rows and ezapi_outbox_oldest_age_seconds.
void append_outbox_metrics(const OutboxBacklog& backlog, std::string& out);

}  // namespace ez::snapshot
