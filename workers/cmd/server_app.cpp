#include "server_app.h"

#include "api/routes.h"
#include "api/serve.h"
#include "context/context.h"
#include "snapshot/sync.h"

namespace ez::app {

namespace {

// A worker's handler: its own Context (lazily opened PostgreSQL and Redis connections)
// and router, kept across requests.
class ApiHandler final : public prefork::RequestHandler {
 public:
  explicit ApiHandler(const prefork::WorkerEnv& env) : ctx_(*env.settings), server_(init(env)) {}

  prefork::Served serve(FCGX_Request& request, prefork::RequestScope& scope) noexcept override {
    const api::ServeResult r =
        server_.serve(request, [&](const std::string& method, const std::string& route) {
          scope.set_route(method, route);
        });
    return prefork::Served{r.method, r.path, r.route, r.status};
  }

 private:
  context::Context& init(const prefork::WorkerEnv& env) {
    ctx_.runtime = env.runtime;
    ctx_.log_queue = env.log_queue;
    ctx_.worker_slot = env.slot;
    return ctx_;
  }

  context::Context ctx_;
  api::FastcgiServer server_;
};

}  // namespace

std::vector<std::pair<std::string, std::string>> ServerApp::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  const http::Router router = api::build_router();
  for (const auto& r : router.routes()) out.emplace_back(r.method, r.pattern);
  return out;
}

std::unique_ptr<prefork::RequestHandler> ServerApp::make_handler(const prefork::WorkerEnv& env) {
  return std::make_unique<ApiHandler>(env);
}

void ServerApp::run_background(const config::Settings& settings, Runtime* runtime,
                               const std::function<bool()>& stop) {
  context::Context ctx(settings);
  ctx.runtime = runtime;
  snapshot::run_replay_loop(ctx, stop);
}

}  // namespace ez::app
