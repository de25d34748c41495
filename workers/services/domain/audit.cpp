#include "domain/audit.h"

#include <pqxx/pqxx>

#include "context/context.h"

namespace ez::domain {

std::vector<db::audit::Row> list_audit(context::Context& ctx, const db::audit::Filter& filter,
                                       int64_t before_id, int64_t limit) {
  pqxx::nontransaction tx(ctx.pg_read().conn());
  return db::audit::list(tx, filter, before_id, limit);
}

}  // namespace ez::domain
