#include "domain/providers.h"

#include <string>

#include "common/error.h"
#include "db/errors.h"
#include "domain/admin_input.h"

namespace ez::domain {

namespace {

Error duplicate_name(const std::string& name) {
  return Error(ErrorCode::conflict, "a provider named \"" + name + "\" already exists", "name");
}

void changed(WriteUnit& w, int64_t id, int64_t left_group) {
  w.changed(snapshot::Resource::provider, std::to_string(id),
            left_group ? std::to_string(left_group) : std::string());
}

}  // namespace

int64_t provider_left_group(const db::ProviderRow& before, const db::ProviderRow* after) {
  if (!after) return before.group_id;
  return after->group_id != before.group_id ? before.group_id : 0;
}

db::ProviderRow create_provider(WriteUnit& w, const db::ProviderValues& v) {
  return db::translate_errors([&] {
    const db::ProviderRow row = db::on_duplicate([&] { return db::insert_provider(w.tx(), v); },
                                                 [&] { return duplicate_name(v.name); });
    w.audit("create", "provider", std::to_string(row.id), Json::Value(), provider_json(row, false));
    changed(w, row.id, 0);
    return row;
  });
}

db::ProviderRow update_provider(WriteUnit& w, int64_t id, const Json::Value& body) {
  return db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    auto before = db::find_provider(tx, id, /*for_update=*/true);
    if (!before) not_found("provider");
    const db::ProviderValues v = provider_values(body, &before->v);
    if (v == before->v) return *before;  // nothing to write
    auto after = db::on_duplicate([&] { return db::update_provider(tx, id, v); },
                                  [&] { return duplicate_name(v.name); });
    if (!after) not_found("provider");
    w.audit("update", "provider", std::to_string(id), provider_json(*before, false),
            provider_json(*after, false));
    changed(w, id, provider_left_group(*before, &*after));
    return *after;
  });
}

void delete_provider(WriteUnit& w, int64_t id) {
  db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    auto before = db::find_provider(tx, id, /*for_update=*/true);
    if (!before || !db::delete_provider(tx, id)) not_found("provider");
    w.audit("delete", "provider", std::to_string(id), provider_json(*before, false), Json::Value());
    changed(w, id, provider_left_group(*before, nullptr));
  });
}

db::ProviderRow get_provider(context::Context& ctx, int64_t id) {
  return db::translate_errors([&] {
    pqxx::nontransaction tx(ctx.pg().conn());
    auto row = db::find_provider(tx, id);
    if (!row) not_found("provider");
    return *row;
  });
}

std::vector<db::ProviderRow> list_providers(context::Context& ctx, const db::ProviderFilter& filter,
                                            int64_t after, int64_t fetch_limit) {
  return db::translate_errors([&] {
    pqxx::nontransaction tx(ctx.pg_read().conn());
    return db::list_providers(tx, filter, after, fetch_limit);
  });
}

}  // namespace ez::domain
