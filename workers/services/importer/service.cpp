#include "importer/service.h"

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <pqxx/pqxx>

#include "common/error.h"
#include "common/log.h"
#include "context/context.h"
#include "db/audit.h"
#include "db/errors.h"
#include "domain/key_rules.h"
#include "importer/plan.h"
#include "importer/store.h"
#include "snapshot/sync.h"

namespace ez::importer {

namespace {

constexpr size_t kMaxExporterWarnings = 1000;

using Clock = std::chrono::steady_clock;

// The file's text is not read after parsing. For `ezapi-ctl import` it is a
// mapping of the file (~70 MB for 200k keys) that would stay in the RSS for the
// whole import: ask the kernel to reclaim its pages. MADV_PAGEOUT keeps the
// contents (file pages are read again if touched; anonymous memory, such as an
// HTTP body, is swapped or left alone), so it is only a hint. Whole pages inside
// the text only.
void release_pages(std::string_view text) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<uintptr_t>(text.data()) + page - 1) / page * page;
  const auto end = (reinterpret_cast<uintptr_t>(text.data()) + text.size()) / page * page;
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_PAGEOUT);
}

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

Json::Value counts_json(const Plan& plan) {
  Json::Value c(Json::objectValue);
  for (const auto& [name, n] : plan.counts) {
    Json::Value r(Json::objectValue);
    r["created"] = Json::UInt64(n.created);
    r["updated"] = Json::UInt64(n.updated);
    r["skipped"] = Json::UInt64(n.skipped);
    c[name] = r;
  }
  return c;
}

Json::Value source_json(const ExportFile& f) {
  Json::Value s(Json::objectValue);
  s["type"] = f.source.type;
  s["version"] = f.source.version;
  s["exported_at"] = f.source.exported_at;
  return s;
}

Json::Value strings(const std::vector<std::string>& items, size_t max) {
  Json::Value a(Json::arrayValue);
  for (size_t i = 0; i < items.size() && i < max; ++i) a.append(items[i]);
  return a;
}

}  // namespace

Json::Value run_import(context::Context& ctx, std::string_view file_text,
                       const ImportOptions& options) {
  Json::Value timings(Json::objectValue);
  auto t = Clock::now();
  ParseOptions parse_options;
  parse_options.type_map = options.type_map;
  ExportFile file = parse_export(file_text, parse_options);
  check_types(file);
  release_pages(file_text);
  timings["parse"] = Json::Int64(ms_since(t));

  Json::Value report(Json::objectValue);
  report["dry_run"] = options.dry_run;
  report["version"] = file.version;
  report["source"] = source_json(file);
  report["exporter_warnings"] = strings(file.warnings, kMaxExporterWarnings);
  report["exporter_warning_count"] = Json::UInt64(file.warnings.size());
  report["unknown_field_count"] = Json::UInt64(file.unknown_field_count);

  t = Clock::now();
  pqxx::work tx(ctx.pg().conn());
  lock_imports(tx);
  const Existing existing = load_existing(tx, file);
  timings["read"] = Json::Int64(ms_since(t));
  t = Clock::now();
  // A dry run never writes, so it needs no real master secrets.
  const SecretMaker master_secret = options.dry_run
                                        ? SecretMaker([] { return domain::IssuedSecret{}; })
                                        : SecretMaker(domain::new_master_key);
  // Consumes the file's masters and keys (their values move into the plan).
  const Plan plan = take_plan(file, existing, master_secret);
  timings["plan"] = Json::Int64(ms_since(t));
  report["counts"] = counts_json(plan);
  report["warnings"] = strings(plan.warnings, plan.warnings.size());
  report["warning_count"] = Json::UInt64(plan.warning_count);

  if (options.dry_run) {
    tx.abort();
    report["timings_ms"] = timings;
    return report;
  }

  t = Clock::now();
  // The plan checked names and tokens under the import lock; an API write that
  // landed meanwhile (API writes do not take the import lock) wins.
  const WriteStats written = db::on_duplicate(
      [&] { return apply_plan(tx, plan); },
      [] {
        return Error(ErrorCode::conflict,
                     "a provider, master or key written while the import ran uses one of its "
                     "names or tokens; run the import again");
      });
  // One audit row for the whole import (not one per row): the source, the
  // counts, who ran it, and what the importer did not understand.
  Json::Value event(Json::objectValue);
  event["version"] = file.version;
  event["source"] = source_json(file);
  event["counts"] = report["counts"];
  event["exporter_warning_count"] = report["exporter_warning_count"];
  event["warning_count"] = report["warning_count"];
  event["unknown_fields"] = file.unknown_fields;
  event["unknown_field_count"] = report["unknown_field_count"];
  Json::Value map(Json::objectValue);
  for (const auto& [from, to] : options.type_map) map[from] = to;
  event["type_map"] = map;
  db::audit::record(tx, options.actor, "import", "import",
                    file.source.type + "@" + file.source.exported_at, Json::Value(), event,
                    options.request_id);
  tx.commit();
  timings["write"] = Json::Int64(ms_since(t));
  Json::Value write_stages(Json::objectValue);
  for (const auto& [stage, ms] : written.stage_ms) write_stages[stage] = Json::Int64(ms);
  report["write_ms"] = write_stages;

  // Nothing created or updated: Redis already holds what PostgreSQL holds, and
  // a resync (seconds for 200k keys) would only rewrite it. No "snapshot".
  if (plan.changes_nothing()) {
    report["timings_ms"] = timings;
    return report;
  }

  // One push: a full resync. If Redis is down the import stays committed:
  // apply_plan marked Redis stale, so the syncer resyncs when Redis answers.
  t = Clock::now();
  Json::Value snapshot(Json::objectValue);
  try {
    const auto r = snapshot::resync(ctx);
    snapshot["pushed"] = true;
    snapshot["version"] = Json::Int64(r.version);
  } catch (const std::exception& e) {
    log::warn("import: snapshot resync failed, the syncer resyncs when Redis answers: " +
              std::string(e.what()));
    snapshot["pushed"] = false;
    snapshot["error"] = "Redis resync failed; the syncer resyncs when Redis answers";
  }
  timings["sync"] = Json::Int64(ms_since(t));
  report["snapshot"] = snapshot;
  report["timings_ms"] = timings;
  return report;
}

}  // namespace ez::importer
