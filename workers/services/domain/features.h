// The feature-flag service: GET reads every flag, PUT merges a map of changes (a value
// sets a flag, null deletes one, absent flags are left alone) through the caller's
// WriteUnit (rows, one audit row, an outbox row per changed flag; the caller commits).
#pragma once

#include <json/value.h>

#include <vector>

#include "context/context.h"
#include "domain/admin_input.h"
#include "domain/write_unit.h"

namespace ez::domain {

// What a PUT does, decided against the flags as they are (pure, unit-tested).
struct FeaturePlan {
  std::vector<FeatureChange> writes;  // the changes that change something, in request order
  // The audit row shows only the flags this request changes (null: absent / deleted).
  Json::Value before = Json::Value(Json::objectValue);
  Json::Value after = Json::Value(Json::objectValue);
};
[[nodiscard]] FeaturePlan plan_feature_changes(const Json::Value& current,
                                               const std::vector<FeatureChange>& changes);

// Applies `changes` under the flags' lock and returns every flag afterwards. When nothing
// changes nothing is written (no audit row, no push) and the flags are returned as they are.
[[nodiscard]] Json::Value update_features(WriteUnit& w, const std::vector<FeatureChange>& changes);

// Every flag as one JSON object, from the primary.
[[nodiscard]] Json::Value all_features(context::Context& ctx);

}  // namespace ez::domain
