#include "api/admission.h"

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>

#include "config/config.h"
#include "http/error.h"
#include "http/response.h"

using ez::ErrorCode;

namespace {

// The scoreboard's gates in one process: enough to see what the helpers ask for and answer.
class FakeRuntime final : public ez::Runtime {
 public:
  void count_redis_push_failure() override {}
  void record_resync(uint64_t) override {}
  void record_redis_current() override {}
  [[nodiscard]] double redis_push_age_seconds() const override { return 0; }
  [[nodiscard]] std::string metrics_text() const override { return {}; }
  [[nodiscard]] Json::Value status() const override { return {}; }
  bool enter_gate(uint64_t gate, int limit) override {
    if (held[gate] >= limit) return false;
    ++held[gate];
    last = gate;
    return true;
  }
  void leave_gate() override { --held[last]; }

  std::map<uint64_t, int> held;
  uint64_t last = 0;
};

ez::config::Settings settings(int exports, int searches) {
  ez::config::Settings s;
  s.usage_export_max_concurrent = exports;
  s.usage_search_max_concurrent = searches;
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_admission)

BOOST_AUTO_TEST_CASE(gate_keys_are_stable_distinct_and_never_zero) {
  BOOST_TEST(ez::api::gate_key("export") == ez::api::gate_key("export"));
  BOOST_TEST(ez::api::gate_key("search:master:1") != ez::api::gate_key("search:master:2"));
  BOOST_TEST(ez::api::gate_key("") != 0u);
}

BOOST_AUTO_TEST_CASE(exports_past_the_bound_are_503_overloaded_with_retry_after) {
  ez::context::Context ctx(settings(1, 2));
  FakeRuntime rt;
  ctx.runtime = &rt;
  auto first = ez::api::admit_export(ctx);
  try {
    (void)ez::api::admit_export(ctx);
    BOOST_FAIL("a second export was admitted");
  } catch (const ez::Error& e) {
    BOOST_TEST(ez::http::http_status(e.code()) == 503);
    BOOST_TEST((e.code() == ErrorCode::overloaded));
    BOOST_TEST(e.retry_after() == 5);
  }
  first.reset();  // the export's stream ended
  BOOST_TEST(ez::api::admit_export(ctx) != nullptr);
}

BOOST_AUTO_TEST_CASE(searches_are_bounded_per_caller_with_429) {
  ez::context::Context ctx(settings(1, 2));
  FakeRuntime rt;
  ctx.runtime = &rt;
  auto a = ez::api::admit_search(ctx, "master:1");
  auto b = ez::api::admit_search(ctx, "master:1");
  try {
    (void)ez::api::admit_search(ctx, "master:1");
    BOOST_FAIL("a third search of one caller was admitted");
  } catch (const ez::Error& e) {
    BOOST_TEST(ez::http::http_status(e.code()) == 429);
    BOOST_TEST(e.retry_after() == 1);
    const auto r = ez::http::to_response(e);
    BOOST_TEST(r.status == 429);
    bool retry_after = false;
    for (const auto& [name, value] : r.headers)
      retry_after |= name == "Retry-After" && value == "1";
    BOOST_TEST(retry_after);
  }
  // Another tenant is not affected.
  BOOST_TEST(ez::api::admit_search(ctx, "master:2") != nullptr);
}

BOOST_AUTO_TEST_CASE(without_a_process_tree_everything_is_admitted) {
  ez::context::Context ctx(settings(1, 1));
  auto a = ez::api::admit_export(ctx);
  auto b = ez::api::admit_export(ctx);
  BOOST_TEST((a && b));
}

BOOST_AUTO_TEST_SUITE_END()
