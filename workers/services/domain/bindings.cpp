#include "domain/bindings.h"

#include <utility>

#include "common/error.h"
#include "db/errors.h"
#include "domain/admin_input.h"

namespace ez::domain {

namespace {

Error duplicate(const db::BindingValues& v) {
  return Error(ErrorCode::conflict,
               "a binding of " + v.ns + "." + v.public_model + " to route_group \"" +
                   v.route_group + "\" already exists",
               "route_group");
}

BindingReport resolve_one(pqxx::transaction_base& tx, const db::BindingValues& v) {
  return std::move(resolve_bindings(tx, {v}).front());
}

}  // namespace

std::string binding_field(const db::BindingValues& v) {
  return v.ns + "." + v.public_model;
}

std::string binding_left_field(const db::BindingValues& before, const db::BindingValues& after) {
  if (before.ns == after.ns && before.public_model == after.public_model) return {};
  return binding_field(before);
}

ResolvedBinding create_binding(WriteUnit& w, const db::BindingValues& v) {
  return db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    db::BindingRow row =
        db::on_duplicate([&] { return db::insert_binding(tx, v); }, [&] { return duplicate(v); });
    w.audit("create", "binding", std::to_string(row.id), Json::Value(), binding_json(row));
    w.changed(snapshot::Resource::binding, binding_field(row.v));
    BindingReport report = resolve_one(tx, row.v);
    return ResolvedBinding{std::move(row), std::move(report)};
  });
}

ResolvedBinding update_binding(WriteUnit& w, int64_t id, const Json::Value& body) {
  return db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    auto before = db::find_binding(tx, id, /*for_update=*/true);
    if (!before) not_found("binding");
    const db::BindingValues v = binding_values(body, &before->v);
    if (v == before->v) return ResolvedBinding{*before, resolve_one(tx, v)};  // nothing to write
    auto after = db::on_duplicate([&] { return db::update_binding(tx, id, v); },
                                  [&] { return duplicate(v); });
    if (!after) not_found("binding");
    w.audit("update", "binding", std::to_string(id), binding_json(*before), binding_json(*after));
    w.changed(snapshot::Resource::binding, binding_field(after->v),
              binding_left_field(before->v, after->v));
    BindingReport report = resolve_one(tx, after->v);
    return ResolvedBinding{std::move(*after), std::move(report)};
  });
}

void delete_binding(WriteUnit& w, int64_t id) {
  db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    auto before = db::find_binding(tx, id, /*for_update=*/true);
    if (!before || !db::delete_binding(tx, id)) not_found("binding");
    w.audit("delete", "binding", std::to_string(id), binding_json(*before), Json::Value());
    w.changed(snapshot::Resource::binding, binding_field(before->v));
  });
}

ResolvedBinding get_binding(context::Context& ctx, int64_t id) {
  return db::translate_errors([&] {
    pqxx::nontransaction tx(ctx.pg().conn());
    auto row = db::find_binding(tx, id);
    if (!row) not_found("binding");
    BindingReport report = resolve_one(tx, row->v);
    return ResolvedBinding{std::move(*row), std::move(report)};
  });
}

BindingPage list_bindings(context::Context& ctx, const db::BindingFilter& filter, int64_t after,
                          int64_t fetch_limit) {
  return db::translate_errors([&] {
    pqxx::nontransaction tx(ctx.pg_read().conn());
    BindingPage page;
    page.rows = db::list_bindings(tx, filter, after, fetch_limit);
    std::vector<db::BindingValues> values;
    values.reserve(page.rows.size());
    for (const auto& r : page.rows) values.push_back(r.v);
    page.reports = resolve_bindings(tx, values);
    return page;
  });
}

BindingReport resolve_binding(context::Context& ctx, const db::BindingValues& v) {
  return db::translate_errors([&] {
    pqxx::read_transaction tx(ctx.pg().conn());
    return resolve_one(tx, v);
  });
}

}  // namespace ez::domain
