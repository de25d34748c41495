#include "api/routes.h"

namespace ez::api {

// Placeholder until the resource lands; keeps the route table linkable.
void register_key_routes(http::Router&) {}

}  // namespace ez::api
