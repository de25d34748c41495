#include "domain/features.h"

#include "db/errors.h"
#include "db/features_repo.h"

namespace ez::domain {

FeaturePlan plan_feature_changes(const Json::Value& current,
                                 const std::vector<FeatureChange>& changes) {
  FeaturePlan plan;
  for (const auto& c : changes) {
    const Json::Value* old = current.find(c.name.data(), c.name.data() + c.name.size());
    if (c.value ? (old && *old == *c.value) : !old) continue;  // already so
    plan.after[c.name] = c.value ? *c.value : Json::Value();
    plan.before[c.name] = old ? *old : Json::Value();
    plan.writes.push_back(c);
  }
  return plan;
}

Json::Value update_features(WriteUnit& w, const std::vector<FeatureChange>& changes) {
  return db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    // Serializes flag writers, so the audit row's before/after is exact under races.
    db::lock_features(tx);
    const Json::Value current = db::all_features(tx);
    const FeaturePlan plan = plan_feature_changes(current, changes);
    if (plan.writes.empty()) return current;  // nothing changed: no audit, no push
    for (const auto& c : plan.writes) {
      if (c.value)
        db::upsert_feature(tx, c.name, *c.value);
      else
        (void)db::delete_feature(tx, c.name);
      w.changed(snapshot::Resource::feature, c.name);
    }
    w.audit("update", "feature", "", plan.before, plan.after);
    return db::all_features(tx);
  });
}

Json::Value all_features(context::Context& ctx) {
  return db::translate_errors([&] {
    pqxx::nontransaction tx(ctx.pg().conn());
    return db::all_features(tx);
  });
}

}  // namespace ez::domain
