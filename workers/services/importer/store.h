// The import's PostgreSQL side: read what a plan needs to know, then write a
// plan with COPY (creates straight into the tables, updates through a temporary
// table and one UPDATE ... FROM per table), all in the caller's transaction, so a
// 200k-key import is a handful of statements. Measured in docs/benchmarks.md
// (`scripts/bench import`): COPY replaced 5000-row jsonb_to_recordset statements
// whose JIT compile and JSON building cost more than the rows.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <string>

#include "config/config.h"
#include "importer/export_file.h"
#include "importer/plan.h"

namespace ez::importer {

// One import at a time (transaction-scoped advisory lock): two concurrent
// imports of one file would otherwise both plan "create". Also turns JIT off
// for the transaction.
void lock_imports(pqxx::transaction_base& tx);

// Rows this source imported before, every provider and master name, the credentials
// (keys, master keys, the configured tokens of `settings`) holding one of the file's
// tokens, and every binding.
[[nodiscard]] Existing load_existing(pqxx::transaction_base& tx, const ExportFile& file,
                                     const config::Settings& settings);

struct WriteStats {
  size_t rows = 0;                          // rows created or updated
  std::map<std::string, int64_t> stage_ms;  // "providers", "masters", "keys", ...
};

// Writes every create and update of the plan. Nothing at all when the plan
// changes nothing. Otherwise no outbox row per written row: Redis is marked
// stale in the same transaction (sync_state.pushed_version raised under the
// sync lock), so until the full resync that follows the commit succeeds every
// push and the replay resync first (see kMarkRedisStale in store.cpp).
[[nodiscard]] WriteStats apply_plan(pqxx::transaction_base& tx, const Plan& plan);

}  // namespace ez::importer
