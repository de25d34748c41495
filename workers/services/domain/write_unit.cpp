#include "domain/write_unit.h"

#include "db/audit.h"

namespace ez::domain {

WriteUnit::WriteUnit(Context& ctx, Author author)
    : ctx_(ctx), author_(std::move(author)), tx_(ctx.pg().conn()) {}

void WriteUnit::audit(std::string_view action, std::string_view resource, const std::string& id,
                      const Json::Value& before, const Json::Value& after) {
  db::audit::record(tx_, author_.name, std::string(action), std::string(resource), id, before,
                    after, author_.request_id);
}

void WriteUnit::changed(snapshot::Resource resource, const std::string& id,
                        const std::string& old) {
  snapshot::record_change(tx_, resource, id, old);
}

void WriteUnit::commit() {
  if (committed_) return;
  tx_.commit();
  committed_ = true;
  snapshot::push_pending(ctx_);  // noexcept: after the commit nothing may undo the write
}

}  // namespace ez::domain
