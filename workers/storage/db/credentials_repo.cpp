#include "db/credentials_repo.h"

#include <json/value.h>

#include <stdexcept>

#include "common/json_text.h"
#include "db/pg.h"

namespace ez::db {

namespace {

// One branch per table of tokens; the kind column names it for decode below.
const Statement kByHashes{
    "credentials_by_hashes",
    "WITH h(hash) AS (SELECT jsonb_array_elements_text($1::jsonb)) "
    "SELECT 'master_key', m.id, m.key_hash FROM masters m JOIN h ON m.key_hash = h.hash "
    "UNION ALL "
    "SELECT 'client_key', k.id, k.token_hash FROM keys k JOIN h ON k.token_hash = h.hash"};

StoredCredential kind_of(const std::string& text) {
  if (text == "master_key") return StoredCredential::master_key;
  if (text == "client_key") return StoredCredential::client_key;
  throw std::logic_error("credentials_by_hashes returned an unknown kind: " + text);
}

}  // namespace

std::vector<StoredCredentialRow> find_stored_credentials(pqxx::transaction_base& tx,
                                                         const std::vector<std::string>& hashes) {
  std::vector<StoredCredentialRow> out;
  if (hashes.empty()) return out;
  Json::Value list(Json::arrayValue);
  for (const auto& h : hashes) list.append(h);
  for (const auto& r : tx.exec_prepared(kByHashes.name(), to_json(list)))
    out.push_back({kind_of(r[0].as<std::string>()), r[1].as<int64_t>(), r[2].as<std::string>()});
  return out;
}

}  // namespace ez::db
