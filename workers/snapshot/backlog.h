// The sync outbox's backlog for GET /metrics: how much PostgreSQL holds that Redis
// does not have yet, and for how long.
#pragma once

#include <optional>

#include "prefork/metrics.h"

namespace ez::api {
class Context;
}

namespace ez::snapshot {

// std::nullopt when PostgreSQL cannot be asked (down, not migrated): the scrape still
// answers, without the outbox families. Never throws.
[[nodiscard]] std::optional<prefork::OutboxBacklog> outbox_backlog(api::Context& ctx) noexcept;

}  // namespace ez::snapshot
