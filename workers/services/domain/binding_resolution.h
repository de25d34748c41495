// What a binding resolves to right now, for the admin: GET /admin/bindings[/{id}]
// carry it, POST/PUT answer with it (and warnings when a candidate is broken),
// POST /admin/bindings/resolve computes it for a body without storing it, and
// /metrics counts the broken ones. Every path resolves through
// snapshot::resolve_candidate, the function the snapshot builder uses, so the
// report is what Redis holds (and what the balancer computes).
//
// Shape (one binding row is one candidate of its namespace.public_model):
//   {"ok": bool,
//    "candidates": [{"route_group": string, "error": string|null,
//                    "providers": [{"provider_id": int, "provider_name": string,
//                                   "upstream": string|null, "error": string|null}]}]}
// A candidate's error is the code its Redis snapshot carries ("no_provider",
// "config_error"); "providers" lists every active provider of the route group:
// "upstream" is what config:bindings routes to at that provider (null when
// none), a provider's error is "no_match" (no model matches) or "ambiguous"
// (several match, which breaks the whole candidate).
#pragma once

#include <json/value.h>

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "db/bindings_repo.h"
#include "snapshot/builders.h"

namespace ez::context {
class Context;
}

namespace ez::domain {

struct BindingReport {
  Json::Value resolution;             // the shape above
  std::vector<std::string> warnings;  // one sentence per broken candidate
  bool ok = true;
};

// Pure: the report of candidates already resolved ((route_group, resolution)
// pairs; the resolutions made with detail).
[[nodiscard]] BindingReport binding_report(
    const std::vector<std::pair<std::string, snapshot::Resolution>>& candidates);

// One report per binding, resolved against PostgreSQL's providers as `tx` sees them.
[[nodiscard]] std::vector<BindingReport> resolve_bindings(
    pqxx::transaction_base& tx, const std::vector<db::BindingValues>& bindings);

// Active binding rows whose candidate resolves to an error (the balancer cannot
// route them): the ezapi_bindings_broken gauge.
[[nodiscard]] int64_t count_broken_bindings(pqxx::transaction_base& tx);
// The same in a read transaction of its own on the primary. A storage failure leaves as
// db::StorageError (a lost session: the caller drops the connection).
[[nodiscard]] int64_t count_broken_bindings(context::Context& ctx);

// Adds "resolution" (and "warnings" when there are any and `with_warnings`) to
// a binding's JSON.
void attach_report(Json::Value& binding, const BindingReport& report, bool with_warnings);
// The same, moving the report's JSON in: a list attaches 50 reports of up to hundreds of
// providers each, and copying them was a tenth of the worker's time.
void attach_report(Json::Value& binding, BindingReport&& report, bool with_warnings);

}  // namespace ez::domain
