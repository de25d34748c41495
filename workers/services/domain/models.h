// The model service: creating, changing (renaming too) and deleting models through the
// caller's WriteUnit (row, audit row, outbox row; the caller commits), and the reads the
// admin routes answer with. A model's outbox id is its name ("namespace.public_model"):
// that is its meta:models field, and the pusher needs it to delete the field once the row
// is gone. A duplicate name is a 409 naming "name", a missing model a 404.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>
#include <vector>

#include "context/context.h"
#include "db/models_repo.h"
#include "domain/write_unit.h"

namespace ez::domain {

// The meta:models field a change leaves behind: the old name of a renamed model (the
// pusher removes it), empty otherwise.
[[nodiscard]] std::string model_left_name(const db::ModelRow& before, const db::ModelRow& after);

// Inserts `v` (validated by model_values).
[[nodiscard]] db::ModelRow create_model(WriteUnit& w, const db::ModelValues& v);
// Locks the model FOR UPDATE (404), merges `body` onto its values (model_values; a "name"
// renames it) and writes the result. When nothing changes nothing is written and the
// stored row is returned.
[[nodiscard]] db::ModelRow update_model(WriteUnit& w, const std::string& name,
                                        const Json::Value& body);
// Locks and deletes the model (404 when there is none).
void delete_model(WriteUnit& w, const std::string& name);

// One model, from the primary (404 when there is none).
[[nodiscard]] db::ModelRow get_model(context::Context& ctx, const std::string& name);
// A page of models with id > after (up to fetch_limit), from the read replica if any.
[[nodiscard]] std::vector<db::ModelRow> list_models(context::Context& ctx,
                                                    const db::ModelFilter& filter, int64_t after,
                                                    int64_t fetch_limit);

}  // namespace ez::domain
