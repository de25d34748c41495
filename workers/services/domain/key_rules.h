// Pure rules for masters and their client keys: secret generation, display
// prefixes, the child-key quota decision, and the validation of the fields a
// client sends. No database, no Redis: everything here is unit-tested directly.
//
// Decisions (mirrored in docs/openapi.yaml):
//  - Secrets are "ezk_" (client key) or "ezm_" (master key) + 43 base62
//    characters (~256 bits from getrandom(2), the kernel's urandom pool). Only
//    sha256 hex and the first kDisplayPrefixLen characters are ever stored.
//  - max_child_keys counts EVERY key the master owns, whatever its status: a
//    disabled key can be re-enabled without a new issuance, so it keeps its slot.
//    Lowering max_child_keys below the current count is allowed; issuance then
//    stays refused (409) until keys are deleted.
//  - A key's namespaces must be a subset of its master's; an empty list means
//    "all of the master's namespaces". A master update that would drop a
//    namespace still named by one of its keys is refused (409), so the subset
//    invariant holds in the database at all times.
//  - A master's default_namespace, when set, must be one of its namespaces; on
//    creation it defaults to the first namespace.
//  - Suspending/reactivating a master or changing its namespace set bumps its
//    epoch (the balancer re-validates the master's keys).
#pragma once

#include <json/value.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ez::domain {

inline constexpr std::string_view kClientKeyPrefix = "ezk_";
inline constexpr std::string_view kMasterKeyPrefix = "ezm_";
inline constexpr size_t kSecretRandomChars = 43;  // 43 * log2(62) ~ 256 bits
inline constexpr size_t kDisplayPrefixLen = 8;    // "ezk_" + 4 characters

// A freshly generated secret: the plaintext (returned to the client once), its
// sha256 hex (stored, and the balancer's lookup key) and its display prefix.
struct IssuedSecret {
  std::string secret;
  std::string hash;
  std::string prefix;
};

// `count` base62 characters from the kernel CSPRNG (rejection sampling, so each
// character is uniform). Throws std::runtime_error if the kernel has no entropy
// to give: there is no weak fallback.
[[nodiscard]] std::string random_base62(size_t count);
[[nodiscard]] IssuedSecret new_client_key();
[[nodiscard]] IssuedSecret new_master_key();
[[nodiscard]] std::string display_prefix(std::string_view secret);
// Shape check only (prefix + length + alphabet): lets auth skip a database
// lookup for tokens that cannot be master keys.
[[nodiscard]] bool looks_like_master_key(std::string_view token);

// ---- the child-key quota ----------------------------------------------------

// True when a master holding `current` keys may not get another one.
[[nodiscard]] constexpr bool child_key_quota_reached(int64_t current, int64_t max_child_keys) {
  return current >= max_child_keys;
}
// 409 conflict when the quota is reached (the message names both numbers).
void enforce_child_key_quota(int64_t master_id, int64_t current, int64_t max_child_keys);

// ---- namespaces ---------------------------------------------------------------

// The first element of `wanted` that is not in `allowed`, if any.
[[nodiscard]] std::optional<std::string> first_not_in(const std::vector<std::string>& wanted,
                                                      const std::vector<std::string>& allowed);
// Same elements, ignoring order and duplicates.
[[nodiscard]] bool same_set(const std::vector<std::string>& a, const std::vector<std::string>& b);
// 400 invalid_field "namespaces" when a key asks for a namespace its master lacks.
void check_key_namespaces(const std::vector<std::string>& key_namespaces,
                          const std::vector<std::string>& master_namespaces);

// ---- request bodies --------------------------------------------------------------

// The client-settable fields of a master; absent fields are nullopt.
struct MasterFields {
  std::optional<std::string> name;
  std::optional<std::string> group;
  std::optional<std::vector<std::string>> namespaces;
  std::optional<std::string> default_namespace;
  std::optional<int64_t> max_child_keys;
  std::optional<int64_t> global_qps;
  std::optional<std::string> status;
};
// Validates a POST (create: name required) or PUT (partial update) body.
[[nodiscard]] MasterFields parse_master_fields(const Json::Value& body, bool create);

// The client-settable fields of a key; absent fields are nullopt. expires_at is
// the one field where JSON null means something: "never expires" (clears it).
struct KeyFields {
  std::optional<int64_t> master_id;  // POST /keys only
  std::optional<std::string> name;
  std::optional<std::string> group;
  std::optional<std::vector<std::string>> namespaces;
  std::optional<std::vector<std::string>> scopes;
  // The allowlist (New API's model_limits): model names, trimmed, deduplicated.
  std::optional<std::vector<std::string>> model_limits;
  // Absent + a non-empty model_limits: turned on by parse_key_fields.
  std::optional<bool> model_limits_enabled;
  std::optional<Json::Value> model_rate_limits;
  std::optional<std::vector<std::string>> allow_ips;
  std::optional<std::optional<std::string>> expires_at;  // outer: present; inner: null
  std::optional<std::string> status;
  // Quota (sql/007): non-negative integers; unlimited_quota true ignores them.
  std::optional<int64_t> quota_limit;
  std::optional<int64_t> quota_used;
  std::optional<bool> unlimited_quota;
};

enum class KeyBody {
  create_admin,       // POST /keys: master_id required
  create_for_master,  // POST /admin/masters/{id}/keys and POST /master/keys: no master_id
  update,             // PUT /keys/{id}: master_id accepted only if unchanged (checked by caller)
  update_by_master,   // PUT /master/keys/{id}: name, status, model_limits; read-only fields
                      // ignored; the admin-only fields are a 400 naming them
};
[[nodiscard]] KeyFields parse_key_fields(const Json::Value& body, KeyBody kind);

// model_limits: the allowlist, an array of at most 1024 model names (a public
// model such as "gpt-4o" or "namespace.public_model"), each trimmed like Go's
// strings.TrimSpace, 1..256 bytes, no control characters; duplicates dropped.
[[nodiscard]] std::vector<std::string> parse_model_allowlist(const Json::Value& value,
                                                             const char* field = "model_limits");

// model_rate_limits: an object mapping a model name to either a non-negative
// integer or an object {"rpm": n, "tpm": n} (both optional). Unknown limit
// names ("rmp") and wrong types are a 400 naming the JSON path
// ("model_rate_limits.gpt-4o.rmp").
void check_model_rate_limits(const Json::Value& value, const char* field = "model_rate_limits");

// What a key response says beside the key: the allowlist switched on with no
// model in it lets the key call nothing (allowed, but rarely meant).
[[nodiscard]] std::vector<std::string> key_warnings(bool model_limits_enabled,
                                                    const std::vector<std::string>& model_limits);

// Namespace names: 1..128 bytes, no '.', no control characters (they end up as
// the first part of "namespace.public_model").
void check_namespace_names(const std::vector<std::string>& names, const char* field);

}  // namespace ez::domain
