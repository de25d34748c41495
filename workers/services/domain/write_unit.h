// One admin write, as one object: the PostgreSQL transaction, the audit rows and the
// outbox rows it records, and the push to Redis after the commit. Every write handler
// used to repeat that sequence by hand (open, write, audit, outbox, commit, push); a
// forgotten step was a change the balancer never saw or an audit trail with a hole.
//
//   WriteUnit w(ctx, author);
//   auto row = db::insert_provider(w.tx(), values);
//   w.audit("create", "provider", id, Json::Value(), after);
//   w.changed(snapshot::Resource::provider, id);
//   w.commit();  // commit, then push (the outbox keeps what Redis did not take)
//
// Destroyed without commit() (an exception, an early return): rolled back, nothing
// audited, nothing pushed.
#pragma once

#include <json/value.h>

#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "context/context.h"
#include "snapshot/outbox.h"

namespace ez::domain {

// Who writes, as the audit trail names them, and the request that did it.
struct Author {
  std::string name;  // "admin-token", "jwt:<sub>", "master:<id>", ...
  std::string request_id;
};

class WriteUnit {
 public:
  WriteUnit(context::Context& ctx, Author author);
  WriteUnit(const WriteUnit&) = delete;
  WriteUnit& operator=(const WriteUnit&) = delete;

  [[nodiscard]] pqxx::work& tx() { return tx_; }

  // One audit row (secrets masked by db::audit). before/after: null on create/delete.
  void audit(std::string_view action, std::string_view resource, const std::string& id,
             const Json::Value& before, const Json::Value& after);
  // One outbox row: `id` of `resource` changed. `old` is what the pusher must also
  // recompute (e.g. the route group a provider left).
  void changed(snapshot::Resource resource, const std::string& id, const std::string& old = {});

  // Commits, then pushes the outbox to Redis. A failed push is not an error of the
  // write: the rows stay in the outbox and the replay loop delivers them. A unit that
  // recorded nothing (a PUT that changed nothing) commits and pushes nothing. A failed
  // COMMIT leaves as a db::StorageError (commit_in_doubt when its answer was lost).
  void commit();

 private:
  context::Context& ctx_;
  Author author_;
  pqxx::work tx_;
  bool recorded_ = false;  // an audit or outbox row was written
  bool committed_ = false;
};

}  // namespace ez::domain
