// The audit trail as the API reads it: pages of rows, newest first. The rows are written by
// the write unit (domain/write_unit.h) in each write's own transaction.
#pragma once

#include <cstdint>
#include <vector>

#include "db/audit.h"

namespace ez::context {
class Context;
}

namespace ez::domain {

// The rows older than id `before_id` (0: from the newest) that match `filter`, at most
// `limit`, from the read connection: the trail may lag the primary by the replication
// delay, which a reader of history can afford.
[[nodiscard]] std::vector<db::audit::Row> list_audit(context::Context& ctx,
                                                     const db::audit::Filter& filter,
                                                     int64_t before_id, int64_t limit);

}  // namespace ez::domain
