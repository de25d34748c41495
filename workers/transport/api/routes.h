// The route table: every route of the API is registered by one function per
// resource, each in the file of the same name under api/. A reader finds a
// route's handler from here in one step.
#pragma once

#include "http/router.h"

namespace ez::api {

void register_health_routes(http::Router& r);    // health.cpp: /healthz /readyz
void register_status_routes(http::Router& r);    // status.cpp: /metrics /admin/status
void register_logs_routes(http::Router& r);      // logs_handler.cpp: POST /logs
void register_provider_routes(http::Router& r);  // providers.cpp: /providers
void register_master_routes(http::Router& r);    // masters.cpp: /admin/masters
void register_key_routes(http::Router& r);       // keys.cpp: /keys, /admin/masters/{id}/keys
void register_self_routes(http::Router& r);      // master_self.cpp: /master/*
void register_model_routes(http::Router& r);     // models.cpp: /models
void register_binding_routes(http::Router& r);   // bindings.cpp: /admin/bindings
void register_feature_routes(http::Router& r);   // features.cpp: /admin/features
void register_audit_routes(http::Router& r);     // audit.cpp: /admin/audit
void register_sync_routes(http::Router& r);      // sync.cpp: /sync/snapshot
void register_usage_routes(
    http::Router& r);  // usage.cpp: /admin/usage /admin/logs /master/usage /master/logs
void register_import_routes(http::Router& r);  // import.cpp: /admin/import

// All of the above, in one router.
[[nodiscard]] http::Router build_router();

}  // namespace ez::api
