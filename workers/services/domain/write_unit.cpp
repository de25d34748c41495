#include "domain/write_unit.h"

#include "db/audit.h"
#include "db/errors.h"

namespace ez::domain {

WriteUnit::WriteUnit(context::Context& ctx, Author author)
    : ctx_(ctx), author_(std::move(author)), tx_(ctx.pg().conn()) {}

void WriteUnit::audit(std::string_view action, std::string_view resource, const std::string& id,
                      const Json::Value& before, const Json::Value& after) {
  db::audit::record(tx_, author_.name, std::string(action), std::string(resource), id, before,
                    after, author_.request_id);
  recorded_ = true;
}

void WriteUnit::changed(snapshot::Resource resource, const std::string& id,
                        const std::string& old) {
  snapshot::record_change(tx_, resource, id, old);
  recorded_ = true;
}

void WriteUnit::commit() {
  if (committed_) return;
  db::translate_errors([&] { tx_.commit(); });
  committed_ = true;
  // Pushing for a unit that wrote nothing would only deliver other writes' pending rows
  // early (the replay loop's job) at the cost of a Redis round trip.
  if (recorded_) snapshot::push_pending(ctx_);  // noexcept: nothing may undo the write now
}

}  // namespace ez::domain
