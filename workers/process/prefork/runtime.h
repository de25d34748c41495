// base's Runtime over the scoreboard: how services count pushes and resyncs, and how
// GET /metrics and GET /admin/status read the pools, without including this layer.
#pragma once

#include "common/runtime.h"
#include "prefork/scoreboard.h"

namespace ez::prefork {

class ScoreboardRuntime final : public Runtime {
 public:
  // `slot`: the worker's own slot, which holds its gates (-1 outside a worker: every
  // gate admits).
  explicit ScoreboardRuntime(Scoreboard& scoreboard, int slot = -1)
      : sb_(scoreboard), slot_(slot) {}

  void count_redis_push_failure() override;
  void record_resync(uint64_t duration_ns) override;
  void record_redis_current() override;
  [[nodiscard]] double redis_push_age_seconds() const override;
  [[nodiscard]] bool enter_gate(uint64_t gate, int limit) override;
  void leave_gate() override;
  [[nodiscard]] std::string metrics_text() const override;
  [[nodiscard]] Json::Value status() const override;

 private:
  Scoreboard& sb_;
  int slot_;
};

}  // namespace ez::prefork
