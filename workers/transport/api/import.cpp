// POST /admin/import: the New API exporter's JSON file as the body (capped by
// http.max_body_bytes: a 413 says so; `ezapi-ctl import FILE` has no cap).
// ?dry_run=true validates and plans without writing; ?map_type=FROM:TO (several
// comma-separated, or the parameter repeated) renames provider types.
#include "api/auth.h"
#include "api/routes.h"
#include "domain/validate.h"
#include "http/error.h"
#include "http/response.h"
#include "importer/service.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

bool flag(const http::Request& req, const char* name) {
  auto v = req.query_param(name);
  if (!v || *v == "false" || *v == "0") return false;
  if (*v == "true" || *v == "1") return true;
  http::fail(http::ErrorCode::bad_request, std::string(name) + " must be true or false", name);
}

http::Response import_export(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  // A typo ("dryrun=true") must not turn a rehearsal into a real import.
  check_query_params(req.query, {"dry_run", "map_type"});
  importer::ImportOptions options;
  options.dry_run = flag(req, "dry_run");
  for (auto [it, end] = req.query.equal_range("map_type"); it != end; ++it)
    importer::parse_type_map(it->second, options.type_map);
  options.actor = actor.name;
  options.request_id = req.request_id;
  if (req.body.empty())
    http::fail(http::ErrorCode::bad_json, "the body must be the exporter's JSON file");
  return http::json(200, importer::run_import(ctx, req.body, options));
}

}  // namespace

void register_import_routes(http::Router& r) {
  r.add("POST", "/admin/import", import_export,
        {{"dry_run", http::ParamType::boolean}, {"map_type", http::ParamType::text, true}});
}

}  // namespace ez::api
