#include "api/routes.h"

namespace ez::api {

http::Router build_router() {
  http::Router r;
  register_health_routes(r);
  register_status_routes(r);
  register_logs_routes(r);
  register_provider_routes(r);
  register_master_routes(r);
  register_key_routes(r);
  register_self_routes(r);
  register_model_routes(r);
  register_binding_routes(r);
  register_feature_routes(r);
  register_audit_routes(r);
  register_sync_routes(r);
  register_usage_routes(r);
  register_import_routes(r);
  return r;
}

}  // namespace ez::api
