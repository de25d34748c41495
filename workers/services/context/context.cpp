#include "context/context.h"

#include "common/error.h"

namespace ez::context {

Context::Context(config::Settings settings)
    : settings_(std::move(settings)),
      pg_(settings_.pg_dsn, "ezapi-worker"),
      redis_(redisx::Redis::from_settings(settings_)) {
  if (!settings_.pg_read_dsn.empty())
    pg_read_ = std::make_unique<db::Pg>(settings_.pg_read_dsn, "ezapi-worker-read");
}

db::Pg& Context::pg_read() {
  if (!pg_read_) return pg_;
  try {
    (void)pg_read_->conn();  // honours its back-off: a down replica costs nothing per request
    return *pg_read_;
  } catch (const Error&) {
    return pg_;
  }
}

void Context::mark_pg_broken() {
  pg_.mark_broken();
  if (pg_read_) pg_read_->mark_broken();
}

}  // namespace ez::context
