// GET /admin/audit: the audit trail, newest first, filtered by resource, actor,
// resource_id and time range, paginated (the cursor walks towards older rows).
#include "domain/audit.h"

#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "domain/admin_input.h"
#include "http/response.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

http::Response list(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = audit_filter(req.query);
  const auto page = parse_page(req);
  // page.after is the last (oldest) id shown; 0 starts from the newest row.
  const auto rows = list_audit(ctx, filter, page.after, page.fetch_limit());
  return http::json(
      200, page_json(rows, page, audit_json, [](const db::audit::Row& r) { return r.id; }));
}

}  // namespace

void register_audit_routes(http::Router& r) {
  r.add("GET", "/admin/audit", list,
        paged({{"resource"}, {"actor"}, {"resource_id"}, {"since"}, {"until"}}));
}

}  // namespace ez::api
