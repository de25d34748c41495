// The import of a New API export, one entry point for both callers:
// POST /admin/import (api/import.cpp) and `ezapi-ctl import FILE`.
//
//   parse + validate (export_file.h) -> refuse unknown provider types ->
//   one PostgreSQL transaction: lock, read what exists, plan (plan.h),
//   [dry run: roll back here] write (store.h) + one audit row -> commit ->
//   one full snapshot resync of Redis (none when the plan changes nothing).
//
// Errors are Error (400 naming the file path, 409 for a conflict with
// rows that were not imported from this source); nothing is written then.
#pragma once

#include <json/value.h>

#include <string>
#include <string_view>

#include "importer/export_file.h"

namespace ez::context {
class Context;
}

namespace ez::importer {

struct ImportOptions {
  bool dry_run = false;
  TypeMap type_map;
  std::string actor;       // the importing admin (audit)
  std::string request_id;  // audit
};

// The answer of POST /admin/import and what `ezapi-ctl import` prints:
// {"dry_run", "version", "source", "counts": {"providers": {"created", "updated",
// "skipped"}, ...}, "exporter_warnings", "warnings", "warning_count",
// "unknown_field_count", "snapshot" (a real run that changed something),
// "timings_ms", "write_ms" (real run: the write stage per table)}.
[[nodiscard]] Json::Value run_import(context::Context& ctx, std::string_view file_text,
                                     const ImportOptions& options);

}  // namespace ez::importer
