// ezapi-server's application: the API (transport/api) wired into the process layer's
// Application interface. The only place that knows both.
#pragma once

#include "prefork/application.h"

namespace ez::app {

class ServerApp final : public prefork::Application {
 public:
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> routes() const override;
  [[nodiscard]] std::unique_ptr<prefork::RequestHandler> make_handler(
      const prefork::WorkerEnv& env) override;
  void run_background(const config::Settings& settings, Runtime* runtime,
                      const std::function<bool()>& stop) override;
};

}  // namespace ez::app
