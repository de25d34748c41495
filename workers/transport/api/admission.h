// Admission gates for the requests that can hold an admin worker for long: exports (a
// bound per host) and log searches and usage queries (a bound per caller per host). The
// places live in the scoreboard (Runtime::enter_gate), so they are counted across the
// pool's processes and freed when a worker dies. Past a bound the answer comes at once
// (429 or 503 with Retry-After) instead of a worker that the next admin request waits for.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "common/runtime.h"
#include "context/context.h"

namespace ez::api {

// A gate's name as the scoreboard stores it: FNV-1a 64 of `name`, never 0 (0 is "none").
[[nodiscard]] uint64_t gate_key(std::string_view name);

// A place in a gate, held until destroyed (a request's scope, or an export's stream).
class Admission {
 public:
  explicit Admission(Runtime* runtime) : runtime_(runtime) {}
  ~Admission() {
    if (runtime_) runtime_->leave_gate();
  }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

 private:
  Runtime* runtime_;
};

// One of usage.export_max_concurrent exports on this host, or 503 overloaded.
[[nodiscard]] std::shared_ptr<Admission> admit_export(context::Context& ctx);

// One of usage.search_max_concurrent searches of `caller` ("master:<id>", the admin's
// actor name) on this host, or 429 too_many_requests.
[[nodiscard]] std::unique_ptr<Admission> admit_search(context::Context& ctx,
                                                      std::string_view caller);

}  // namespace ez::api
