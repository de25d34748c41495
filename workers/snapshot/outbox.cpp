#include "snapshot/outbox.h"

namespace ez::snapshot {

// Placeholder until the sync work lands: nothing is recorded or pushed yet.
void record_change(pqxx::transaction_base&, Resource, const std::string&, const std::string&) {}
void push_pending(api::Context&) noexcept {}

}  // namespace ez::snapshot
