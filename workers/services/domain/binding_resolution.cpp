#include "domain/binding_resolution.h"

#include <set>

#include "context/context.h"
#include "db/errors.h"
#include "snapshot/source.h"

namespace ez::domain {

namespace {

Json::Value text_or_null(const std::string& s) {
  return s.empty() ? Json::Value(Json::nullValue) : Json::Value(s);
}

db::BindingRow row_of(const db::BindingValues& v, int64_t group_id) {
  db::BindingRow r;
  r.v = v;
  r.group_id = group_id;
  return r;
}

}  // namespace

// Keys and the fixed error codes are Json::StaticString (not copied): a list builds one
// object per provider of the group for each of its bindings.
BindingReport binding_report(
    const std::vector<std::pair<std::string, snapshot::Resolution>>& candidates) {
  BindingReport report;
  report.resolution = Json::Value(Json::objectValue);
  Json::Value& list = report.resolution[Json::StaticString("candidates")] =
      Json::Value(Json::arrayValue);
  for (const auto& [route_group, res] : candidates) {
    Json::Value c(Json::objectValue);
    c[Json::StaticString("route_group")] = route_group;
    c[Json::StaticString("error")] = text_or_null(res.error);
    Json::Value& providers = c[Json::StaticString("providers")] = Json::Value(Json::arrayValue);
    for (const auto& p : res.providers) {
      Json::Value j(Json::objectValue);
      j[Json::StaticString("provider_id")] = Json::Int64(p.provider_id);
      j[Json::StaticString("provider_name")] = p.provider_name;
      const auto up = res.upstreams.find(p.provider_id);
      j[Json::StaticString("upstream")] =
          up == res.upstreams.end() ? Json::Value(Json::nullValue) : up->second;
      j[Json::StaticString("error")] =
          p.matches.empty()      ? Json::Value(Json::StaticString("no_match"))
          : p.matches.size() > 1 ? Json::Value(Json::StaticString("ambiguous"))
                                 : Json::Value(Json::nullValue);
      providers.append(std::move(j));
    }
    list.append(std::move(c));
    if (!res.error.empty()) {
      report.ok = false;
      report.warnings.push_back("route_group \"" + route_group + "\": " + res.error + ": " +
                                res.reason);
    }
  }
  report.resolution[Json::StaticString("ok")] = report.ok;
  return report;
}

std::vector<BindingReport> resolve_bindings(pqxx::transaction_base& tx,
                                            const std::vector<db::BindingValues>& bindings) {
  std::set<std::string> names;
  for (const auto& b : bindings) names.insert(b.route_group);
  const auto ids = snapshot::source::group_ids_by_name(tx, {names.begin(), names.end()});
  std::vector<int64_t> group_ids;
  for (const auto& [name, id] : ids) group_ids.push_back(id);
  const snapshot::GroupIndexes groups = snapshot::source::group_indexes(tx, group_ids);
  std::vector<BindingReport> out;
  out.reserve(bindings.size());
  for (const auto& b : bindings) {
    const auto id = ids.find(b.route_group);
    const auto row = row_of(b, id == ids.end() ? 0 : id->second);
    out.push_back(
        binding_report({{b.route_group, snapshot::resolve_candidate(row, groups, true)}}));
  }
  return out;
}

int64_t count_broken_bindings(pqxx::transaction_base& tx) {
  const auto rows = db::load_bindings(tx, std::nullopt);
  const auto groups = snapshot::source::group_indexes(tx, std::nullopt);
  int64_t broken = 0;
  for (const auto& r : rows)
    if (r.v.status == "active" && !snapshot::resolve_candidate(r, groups).error.empty()) ++broken;
  return broken;
}

int64_t count_broken_bindings(context::Context& ctx) {
  return db::translate_errors([&] {
    pqxx::read_transaction tx(ctx.pg().conn());
    return count_broken_bindings(tx);
  });
}

void attach_report(Json::Value& binding, const BindingReport& report, bool with_warnings) {
  BindingReport copy = report;
  attach_report(binding, std::move(copy), with_warnings);
}

void attach_report(Json::Value& binding, BindingReport&& report, bool with_warnings) {
  binding["resolution"] = std::move(report.resolution);
  if (with_warnings && !report.warnings.empty()) {
    Json::Value& w = binding["warnings"] = Json::Value(Json::arrayValue);
    for (const auto& text : report.warnings) w.append(text);
  }
}

}  // namespace ez::domain
