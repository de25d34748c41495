// The JSON the balancer reads from Redis (docs/architecture.md "The Redis contract",
// tests/contracts/*.json), built from rows read out of PostgreSQL. Pure: no I/O, so the shapes, the
// selector resolution and the checksum are unit-tested without servers, and
// the incremental push and the full resync share one builder per shape (a
// FLUSHALL + resync gives byte-identical hashes).
//
// The writer appends to a std::string instead of going through Json::Value:
// a resync builds a million key snapshots inside a 3 s budget, and a
// Json::Value tree per key costs several times the whole JSON text.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db/bindings_repo.h"
#include "db/keys_repo.h"
#include "db/masters_repo.h"
#include "db/models_repo.h"
#include "db/providers_repo.h"

namespace ez::snapshot {

// The rows are storage's (db/*_repo.h): one row type per table, read through
// one column list and one decoder, for the API and the snapshots alike.
using db::BindingRow;
using db::KeyRow;
using db::MasterRow;
using db::ModelRow;
using db::ProviderRow;

// namespace.public_model: the binding's field in config:bindings.
[[nodiscard]] std::string binding_field(const BindingRow& b);

// ---------- snapshots ----------

[[nodiscard]] std::string provider_json(const ProviderRow& p);
[[nodiscard]] std::string master_json(const MasterRow& m);
// A key's snapshot carries what it inherits from its master (the group and the
// namespaces when the key leaves them empty, and the master's epoch), so the
// balancer needs no second lookup to authorise a request. The master is passed
// alongside rather than copied into the key: the row stays what the keys table
// holds (the API shows the key's own namespaces, and an empty group means
// "inherit"), and the resync's million keys share their masters' vectors
// instead of copying a namespace list into each.
[[nodiscard]] std::string key_json(const KeyRow& k, const MasterRow& master);
[[nodiscard]] std::string model_json(const ModelRow& m);

// sha256 hex over the `field\npayload\n` pairs of meta:models, sorted by field.
[[nodiscard]] std::string models_checksum(const std::map<std::string, std::string>& payloads);

// The fields of meta:models_meta for the given meta:models content: version
// and updated_at (unix seconds) as strings, source "ez-api", the checksum, and
// upstream_url / upstream_ref empty (the models come from this control plane,
// not from an upstream catalogue).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> models_meta_fields(
    const std::map<std::string, std::string>& payloads, int64_t version, int64_t now_unix);

// ---------- selectors ----------
// The string functions (trim, lower-case, RE2) are in snapshot/selector.h.

// One active provider of the candidate's group and what the selector matched
// there (only filled when resolve() is asked for detail).
struct ProviderOutcome {
  int64_t provider_id = 0;
  std::string provider_name;
  std::vector<std::string> matches;  // distinct model names, sorted
};

struct Resolution {
  std::map<int64_t, std::string> upstreams;  // provider id -> upstream model
  std::string error;                         // "", "config_error" or "no_provider"
  std::string reason;                        // why, in words, when error is set
  std::vector<ProviderOutcome> providers;    // by provider id; only with detail
};

// The active providers of one group, indexed for the three selector types. A
// group with thousands of providers is resolved for thousands of bindings in a
// resync, so exact and normalize_exact are hash look-ups, not scans.
class GroupIndex {
 public:
  void add(int64_t provider_id, const std::vector<std::string>& models,
           std::string provider_name = {});
  // Exactly one distinct hit per provider that matches at all; a provider with
  // two or more hits (or a regex RE2 refuses) is a config_error; no provider
  // hit at all is no_provider. `value` is trimmed (strings.TrimSpace) and
  // defaults to the public model when empty. On an error the upstreams are
  // empty: the balancer must not route there. `detail` also lists every
  // provider of the group with its matches (for the API; a resync skips it).
  [[nodiscard]] Resolution resolve(std::string_view selector_type, std::string_view value,
                                   std::string_view public_model, bool detail = false) const;
  [[nodiscard]] size_t provider_count() const { return providers_.size(); }

 private:
  struct Hit {
    int64_t provider_id;
    std::string model;
  };
  struct Provider {
    int64_t id;
    std::string name;
    std::vector<std::string> models;
  };
  std::unordered_map<std::string, std::vector<Hit>> exact_, normalized_;
  std::vector<Provider> providers_;
};

// Active providers by group id (only status = active providers belong here).
using GroupIndexes = std::unordered_map<int64_t, GroupIndex>;

// THE resolution of one binding row (one candidate), used by the snapshot
// builder and by the API's resolution reports alike: a missing route group or
// one without active providers is no_provider, otherwise GroupIndex::resolve.
[[nodiscard]] Resolution resolve_candidate(const BindingRow& row, const GroupIndexes& groups,
                                           bool detail = false);

// All rows of one namespace.public_model (any order) -> the binding snapshot.
[[nodiscard]] std::string binding_json(std::vector<BindingRow> rows, const GroupIndexes& groups);

// ---------- refresh events ----------

// {"resource","version","active_key","timestamp"}: version is a string (the
// balancer's event type declares it so), timestamp integer unix seconds.
[[nodiscard]] std::string refresh_event_json(std::string_view resource, int64_t version,
                                             std::string_view active_key, int64_t timestamp);

// ---------- low-level writer, exposed for the event and binding code ----------

class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}
  JsonOut& begin_object();
  JsonOut& end_object();
  JsonOut& begin_array();
  JsonOut& end_array();
  JsonOut& key(std::string_view k);
  JsonOut& str(std::string_view v);
  JsonOut& num(int64_t v);
  JsonOut& boolean(bool v);
  JsonOut& raw(std::string_view json);  // already valid JSON text
  JsonOut& str_array(const std::vector<std::string>& v);

 private:
  void comma();
  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace ez::snapshot
