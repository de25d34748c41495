#include "api/context.h"

namespace ez::api {

Context::Context(config::Settings settings)
    : settings_(std::move(settings)),
      pg_(settings_.pg_dsn, "ezapi-worker"),
      redis_(settings_.redis_host, settings_.redis_port, settings_.redis_db) {}

}  // namespace ez::api
