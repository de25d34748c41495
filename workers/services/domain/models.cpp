#include "domain/models.h"

#include "common/error.h"
#include "db/errors.h"
#include "domain/admin_input.h"

namespace ez::domain {

namespace {

Error duplicate_name(const std::string& name) {
  return Error(ErrorCode::conflict, "a model named \"" + name + "\" already exists", "name");
}

}  // namespace

std::string model_left_name(const db::ModelRow& before, const db::ModelRow& after) {
  return after.v.name != before.v.name ? before.v.name : std::string();
}

db::ModelRow create_model(WriteUnit& w, const db::ModelValues& v) {
  return db::translate_errors([&] {
    const db::ModelRow row = db::on_duplicate([&] { return db::insert_model(w.tx(), v); },
                                              [&] { return duplicate_name(v.name); });
    w.audit("create", "model", row.v.name, Json::Value(), model_json(row));
    w.changed(snapshot::Resource::model, row.v.name);
    return row;
  });
}

db::ModelRow update_model(WriteUnit& w, const std::string& name, const Json::Value& body) {
  return db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    auto before = db::find_model(tx, name, /*for_update=*/true);
    if (!before) not_found("model");
    const db::ModelValues v = model_values(body, &before->v);
    if (v == before->v) return *before;  // nothing to write
    auto after = db::on_duplicate([&] { return db::update_model(tx, before->id, v); },
                                  [&] { return duplicate_name(v.name); });
    if (!after) not_found("model");
    w.audit("update", "model", before->v.name, model_json(*before), model_json(*after));
    w.changed(snapshot::Resource::model, after->v.name, model_left_name(*before, *after));
    return *after;
  });
}

void delete_model(WriteUnit& w, const std::string& name) {
  db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    auto before = db::find_model(tx, name, /*for_update=*/true);
    if (!before || !db::delete_model(tx, before->id)) not_found("model");
    w.audit("delete", "model", name, model_json(*before), Json::Value());
    w.changed(snapshot::Resource::model, name);
  });
}

db::ModelRow get_model(context::Context& ctx, const std::string& name) {
  return db::translate_errors([&] {
    pqxx::nontransaction tx(ctx.pg().conn());
    auto row = db::find_model(tx, name);
    if (!row) not_found("model");
    return *row;
  });
}

std::vector<db::ModelRow> list_models(context::Context& ctx, const db::ModelFilter& filter,
                                      int64_t after, int64_t fetch_limit) {
  return db::translate_errors([&] {
    pqxx::nontransaction tx(ctx.pg_read().conn());
    return db::list_models(tx, filter, after, fetch_limit);
  });
}

}  // namespace ez::domain
