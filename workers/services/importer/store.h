// The import's PostgreSQL side: read what a plan needs to know, then write a
// plan with set-based statements (a few thousand rows per statement, rows
// travelling as one jsonb parameter expanded by jsonb_to_recordset), all in the
// caller's transaction, so a 200k-key import is tens of statements, not
// hundreds of thousands of round trips.
#pragma once

#include <json/value.h>

#include <pqxx/pqxx>
#include <string>

#include "importer/export_file.h"
#include "importer/plan.h"

namespace ez::importer {

// One import at a time (transaction-scoped advisory lock): two concurrent
// imports of one file would otherwise both plan "create".
void lock_imports(pqxx::transaction_base& tx);

// Rows this source imported before, every provider and master name, the keys
// holding one of the file's tokens, and every binding.
[[nodiscard]] Existing load_existing(pqxx::transaction_base& tx, const ExportFile& file);

// Writes every create and update of the plan, and one outbox row per written
// row (so a Redis outage after commit only delays the push).
void apply_plan(pqxx::transaction_base& tx, const Plan& plan, size_t batch_rows = 5000);

}  // namespace ez::importer
