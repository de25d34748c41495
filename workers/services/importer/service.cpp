#include "importer/service.h"

#include <chrono>
#include <pqxx/pqxx>

#include "common/error.h"
#include "common/log.h"
#include "context/context.h"
#include "db/audit.h"
#include "domain/key_rules.h"
#include "importer/plan.h"
#include "importer/store.h"
#include "snapshot/sync.h"

namespace ez::importer {

namespace {

constexpr size_t kMaxExporterWarnings = 1000;

using Clock = std::chrono::steady_clock;

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

Json::Value run_import(Context& ctx, std::string_view file_text, const ImportOptions& options) {
  Json::Value timings(Json::objectValue);
  auto t = Clock::now();
  ParseOptions parse_options;
  parse_options.type_map = options.type_map;
  const ExportFile file = parse_export(file_text, parse_options);
  check_types(file);
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
  const Plan plan = make_plan(file, existing, master_secret);
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
  try {
    apply_plan(tx, plan);
  } catch (const pqxx::unique_violation&) {
    // The plan checked names and tokens under the import lock; an API write
    // that landed meanwhile (API writes do not take the import lock) wins.
    throw Error(ErrorCode::conflict,
                "a provider, master or key written while the import ran uses one of its "
                "names or tokens; run the import again");
  }
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

  // One push: a full resync. If Redis is down the import stays committed and
  // the outbox rows written with it are replayed by the syncer.
  t = Clock::now();
  Json::Value snapshot(Json::objectValue);
  try {
    const auto r = snapshot::resync(ctx);
    snapshot["pushed"] = true;
    snapshot["version"] = Json::Int64(r.version);
  } catch (const std::exception& e) {
    log::warn("import: snapshot resync failed, the outbox replay will push the import: " +
              std::string(e.what()));
    snapshot["pushed"] = false;
    snapshot["error"] =
        "Redis resync failed; the syncer pushes the imported rows when Redis answers";
  }
  timings["sync"] = Json::Int64(ms_since(t));
  report["snapshot"] = snapshot;
  report["timings_ms"] = timings;
  return report;
}

}  // namespace ez::importer
