// The pure half of the provider, model, binding, feature and audit handlers:
// request body / query -> validated repository values, and rows -> response
// JSON. No database here, so every rule is unit-tested directly
// (tests/unit/services/domain/admin_input_test.cpp).
//
// Decisions (mirrored in docs/openapi.yaml):
//  - POST creates from defaults; PUT is a partial update: the body's fields are
//    merged onto the stored values and the result is validated as a whole.
//  - Names (provider name, model name, binding namespace/public_model/route_group,
//    group) are stored verbatim: no trimming, no case change; only NUL, invalid
//    UTF-8 and all-blank values are refused. Enumerations (type, kind, status,
//    selector_type) are trimmed and lower-cased; base_url and api_key are trimmed.
//  - A provider's api_key is write-only: responses carry db::audit::mask_secret_value().
//    Sending that masked form back in a PUT keeps the stored key (so GET -> edit
//    -> PUT round-trips safely).
//  - Model names are "namespace.public_model" and may not contain '/' (they are
//    a single path segment: /models/{name}).
#pragma once

#include <json/value.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/query_params.h"
#include "db/audit.h"
#include "db/bindings_repo.h"
#include "db/models_repo.h"
#include "db/providers_repo.h"

namespace ez::domain {

inline const std::initializer_list<std::string_view> kProviderTypes = {
    "openai",   "compatible", "anthropic",      "claude", "claude-code",
    "codex",    "gemini-cli", "antigravity",    "gemini", "google",
    "aistudio", "vertex",     "vertex-express", "custom"};
inline const std::initializer_list<std::string_view> kActiveDisabled = {"active", "disabled"};
inline const std::initializer_list<std::string_view> kModelKinds = {"chat", "embedding", "rerank",
                                                                    "other"};
inline const std::initializer_list<std::string_view> kAuditResources = {
    "provider", "master", "key", "model", "binding", "feature", "import"};
inline const std::initializer_list<std::string_view> kSelectorTypes = {"exact", "regex",
                                                                       "normalize_exact"};

// ---- providers ----------------------------------------------------------------

// `current` null: a creation (name and type required). Otherwise a partial update.
[[nodiscard]] db::ProviderValues provider_values(const Json::Value& body,
                                                 const db::ProviderValues* current);
// The API shape (names of contracts/provider_snapshot.json + weight, priority, times).
// `mask_key` false only for the audit trail (which masks by itself).
[[nodiscard]] Json::Value provider_json(const db::ProviderRow& p, bool mask_key = true);
// ?group= &type= &status=
[[nodiscard]] db::ProviderFilter provider_filter(const QueryParams& params);

// ---- models -------------------------------------------------------------------

// Prices (input_price, output_price, cache_read_price: per million tokens) are a JSON
// number, a decimal string ("0.0000025") or null (clears); stored as numeric text.
[[nodiscard]] db::ModelValues model_values(const Json::Value& body, const db::ModelValues* current);
// nullopt: absent; an empty inner optional: null (clear). 400 naming the field otherwise.
[[nodiscard]] std::optional<std::optional<std::string>> get_price(const Json::Value& body,
                                                                  const char* field);
// A stored price as a JSON number (null when unset).
[[nodiscard]] Json::Value price_json(const std::optional<std::string>& price);
[[nodiscard]] Json::Value model_json(const db::ModelRow& m);
// ?namespace= &kind=
[[nodiscard]] db::ModelFilter model_filter(const QueryParams& params);
// Empty unless `name` is a well-formed "namespace.public_model" (for the path: 404 otherwise).
[[nodiscard]] std::string model_name_problem(const std::string& name);

// ---- bindings -----------------------------------------------------------------

// Regex selector values are checked with snapshot::regex_problem (RE2, as the
// balancer's Go regexp); selector values are stored trimmed (strings.TrimSpace).
[[nodiscard]] db::BindingValues binding_values(const Json::Value& body,
                                               const db::BindingValues* current);
[[nodiscard]] Json::Value binding_json(const db::BindingRow& b);
// ?namespace= &public_model=
[[nodiscard]] db::BindingFilter binding_filter(const QueryParams& params);

// ---- features -----------------------------------------------------------------

struct FeatureChange {
  std::string name;
  std::optional<Json::Value> value;  // nullopt: delete the flag
};
// A JSON object flag -> string | boolean | number | null (null deletes).
[[nodiscard]] std::vector<FeatureChange> feature_changes(const Json::Value& body);

// ---- audit --------------------------------------------------------------------

// ?resource= &actor= &resource_id= &since= &until= (RFC 3339)
[[nodiscard]] db::audit::Filter audit_filter(const QueryParams& params);
[[nodiscard]] Json::Value audit_json(const db::audit::Row& row);

}  // namespace ez::domain
