#include "snapshot/outbox_plan.h"

#include "common/json_text.h"

namespace ez::snapshot {

Wanted collect(const std::vector<OutboxRow>& rows) {
  Wanted w;
  for (const auto& r : rows) {
    const auto id = parse_int64(r.resource_id);
    if (r.resource == "master") {
      if (id) w.masters.insert(*id);
    } else if (r.resource == "key") {
      if (id)
        w.keys.insert(*id);
      else
        w.key_old_hashes.insert(r.resource_id);  // a hash given in place of the id
      if (!r.old_field.empty()) w.key_old_hashes.insert(r.old_field);
    } else if (r.resource == "provider") {
      if (id) w.providers.insert(*id);
      if (auto g = parse_int64(r.old_field)) w.provider_old_groups.insert(*g);
    } else if (r.resource == "model") {
      if (id)
        w.model_ids.insert(*id);
      else
        w.model_names.insert(r.resource_id);
      if (!r.old_field.empty()) w.model_old_names.insert(r.old_field);
    } else if (r.resource == "binding") {
      if (id)
        w.binding_ids.insert(*id);
      else
        w.binding_fields.insert(r.resource_id);  // namespace.public_model
      if (!r.old_field.empty()) w.binding_fields.insert(r.old_field);
    } else if (r.resource == "feature") {
      w.features.insert(r.resource_id);
    }
  }
  return w;
}

}  // namespace ez::snapshot
