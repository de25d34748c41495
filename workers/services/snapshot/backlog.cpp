#include "snapshot/backlog.h"

#include <algorithm>

#include "common/prometheus.h"
#include "context/context.h"
#include "db/pg.h"

namespace ez::snapshot {

namespace {

const db::Statement kBacklog{
    "sync_outbox_backlog",
    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 "
    "FROM sync_outbox"};

}  // namespace

std::optional<OutboxBacklog> outbox_backlog(context::Context& ctx) noexcept {
  try {
    pqxx::nontransaction tx(ctx.pg().conn());
    const auto row = tx.exec_prepared1(kBacklog.name());
    OutboxBacklog b;
    b.rows = row[0].as<int64_t>();
    b.oldest_age_seconds = std::max(0.0, row[1].as<double>());
    return b;
  } catch (const pqxx::broken_connection&) {
    ctx.pg().mark_broken();
    return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

void append_outbox_metrics(const OutboxBacklog& backlog, std::string& out) {
  using namespace ez::prometheus;
  append_family(out, "ezapi_outbox_pending_rows", "gauge",
                "Changes written to PostgreSQL and not yet pushed to Redis (sync_outbox).");
  append_sample(out, "ezapi_outbox_pending_rows", "", std::to_string(backlog.rows));
  append_family(out, "ezapi_outbox_oldest_age_seconds", "gauge",
                "Age of the oldest pending outbox row (0 when none): how stale Redis may be.");
  append_sample(out, "ezapi_outbox_oldest_age_seconds", "",
                format_value(backlog.oldest_age_seconds));
}

}  // namespace ez::snapshot
