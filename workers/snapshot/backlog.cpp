#include "snapshot/backlog.h"

#include <algorithm>

#include "api/context.h"
#include "db/pg.h"

namespace ez::snapshot {

namespace {

const db::Statement kBacklog{
    "sync_outbox_backlog",
    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 "
    "FROM sync_outbox"};

}  // namespace

std::optional<prefork::OutboxBacklog> outbox_backlog(api::Context& ctx) noexcept {
  try {
    pqxx::nontransaction tx(ctx.pg().conn());
    const auto row = tx.exec_prepared1(kBacklog.name());
    prefork::OutboxBacklog b;
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

}  // namespace ez::snapshot
