// The New API exporter's intermediate JSON (schema 1.x, github.com/EZ-Api/exporter,
// internal/schema/intermediate.go), read into typed values that already obey the
// rules of the API writes: every record goes through the same validation
// functions as POST /providers, /admin/masters, /admin/masters/{id}/keys and
// /admin/bindings (domain/admin_input.h, domain/key_rules.h, domain/validate.h).
//
// Pure: no database, no Redis. Errors are Error whose field is the
// JSON path of the first bad value ("data.keys[17].master_ref"); the message
// starts with that path too. Unknown fields are not errors: they are collected
// (path -> value, capped) for the audit record.
//
// The file is not parsed into one Json::Value: the four data arrays are walked
// element by element and each element is parsed on its own, so memory holds the
// typed records and one element's JSON tree at a time (a 200k-key export would
// otherwise need a JSON tree several times the file's size).
#pragma once

#include <json/value.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/bindings_repo.h"
#include "db/masters_repo.h"
#include "db/providers_repo.h"

namespace ez::importer {

// Provider type renames applied before validation ("custom" -> "openai").
using TypeMap = std::map<std::string, std::string>;

// "a=b" (CLI) or "a:b" (query); several comma-separated pairs are accepted.
// Throws Error(bad_request, field "map_type") when malformed.
void parse_type_map(std::string_view text, TypeMap& into);

struct ParseOptions {
  TypeMap type_map;
  size_t max_unknown_fields = 200;  // unknown fields kept for the audit record
};

struct SourceInfo {
  std::string type;         // "newapi"
  std::string version;      // the source system's version, "unknown" when not detected
  std::string exported_at;  // RFC 3339 UTC (normalized)
};

// A provider: the values an API write would store + where it came from.
struct ImportedProvider {
  size_t index = 0;  // position in data.providers (for messages)
  int64_t original_id = 0;
  int64_t multi_key_index = 0;  // 0 unless split from a multi-key channel (1-based)
  std::string original_name;    // the channel's name before the split
  std::string original_type;    // the type in the file (before --map-type)
  std::vector<std::string> all_groups;
  db::ProviderValues values;  // values.group = primary_group
};

struct ImportedMaster {
  size_t index = 0;
  int64_t source_user_id = 0;
  std::string source_email;
  db::MasterValues values;
};

// The New API key states: active and disabled exist here; expired and
// exhausted become disabled with that reason.
struct ImportedKey {
  size_t index = 0;
  int64_t original_id = 0;
  std::string master_ref;  // a master's name in data.masters
  // The client secret as issued by New API; "" when the export had none.
  std::string token;
  std::string token_hash;     // sha256 hex of token ("" without one): the balancer's lookup key
  std::string source_status;  // active | disabled | expired | exhausted
  std::string group;
  std::vector<std::string> namespaces;
  std::vector<std::string> scopes;
  bool model_limits_enabled = false;
  std::vector<std::string> model_limits;  // allowlist of model names
  std::optional<std::string> expires_at;  // RFC 3339 UTC
  std::vector<std::string> allow_ips;     // canonical CIDRs
  std::optional<int64_t> quota_limit;     // as exported (-1 = unlimited)
  std::optional<int64_t> quota_used;
  bool unlimited_quota = false;
};

struct ImportedBinding {
  size_t index = 0;
  db::BindingValues values;  // selector exact, selector_value = model
};

struct ExportFile {
  std::string version;
  SourceInfo source;
  std::vector<ImportedProvider> providers;
  std::vector<ImportedMaster> masters;
  std::vector<ImportedKey> keys;
  std::vector<ImportedBinding> bindings;
  std::vector<std::string> warnings;  // the exporter's
  // Types (after --map-type) the control plane does not know -> how many
  // providers have them, and the path of the first one. The caller refuses the
  // import while this is not empty (see check_types).
  std::map<std::string, size_t> unknown_types;
  std::string first_unknown_type_path;
  // path -> value of fields this importer does not know, at most
  // ParseOptions::max_unknown_fields of them; unknown_field_count counts all.
  Json::Value unknown_fields{Json::objectValue};
  size_t unknown_field_count = 0;
};

// Parses and validates the whole file. Throws Error naming the first bad path.
[[nodiscard]] ExportFile parse_export(std::string_view text, const ParseOptions& options = {});

// 400 invalid_field at the first provider with an unknown type, listing every
// unknown type with its count and how to map it. No-op when all are known.
void check_types(const ExportFile& file);

}  // namespace ez::importer
