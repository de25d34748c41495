// Tests for workers/services/snapshot/outbox_plan.*: what the pusher reads again for each
// kind of write (the outbox rows handlers and triggers record), before any Redis command.
#include "snapshot/outbox_plan.h"

#include <boost/test/unit_test.hpp>

using ez::snapshot::collect;
using ez::snapshot::OutboxRow;

namespace {

OutboxRow row(const char* resource, const char* id, const char* old = "") {
  static int64_t next = 0;
  return OutboxRow{++next, resource, id, old};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_outbox_plan)

BOOST_AUTO_TEST_CASE(a_rotated_or_deleted_key_takes_its_old_hash_along) {
  // Rotation: the key is read again and its old field removed, or the old secret would
  // keep working at the balancer.
  const auto w = collect({row("key", "7", "oldhash")});
  BOOST_TEST((w.keys == std::set<int64_t>{7}));
  BOOST_TEST((w.key_old_hashes == std::set<std::string>{"oldhash"}));
  // A trigger may name the key by its hash alone (the row is already gone).
  const auto gone = collect({row("key", "abcdef")});
  BOOST_TEST(gone.keys.empty());
  BOOST_TEST((gone.key_old_hashes == std::set<std::string>{"abcdef"}));
}

BOOST_AUTO_TEST_CASE(many_writes_of_one_row_are_read_once) {
  const auto w = collect({row("master", "3"), row("master", "3"), row("key", "9"), row("key", "9"),
                          row("feature", "beta"), row("feature", "beta")});
  BOOST_TEST(w.masters.size() == 1u);
  BOOST_TEST(w.keys.size() == 1u);
  BOOST_TEST(w.features.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_provider_leaving_a_group_recomputes_that_group) {
  const auto w = collect({row("provider", "4", "12")});
  BOOST_TEST((w.providers == std::set<int64_t>{4}));
  BOOST_TEST((w.provider_old_groups == std::set<int64_t>{12}));
  // No old group: nothing else to recompute.
  BOOST_TEST(collect({row("provider", "4")}).provider_old_groups.empty());
}

BOOST_AUTO_TEST_CASE(renamed_models_and_bindings_remove_their_old_names) {
  const auto m = collect({row("model", "5", "ns.old"), row("model", "ns.by-name")});
  BOOST_TEST((m.model_ids == std::set<int64_t>{5}));
  BOOST_TEST((m.model_names == std::set<std::string>{"ns.by-name"}));
  BOOST_TEST((m.model_old_names == std::set<std::string>{"ns.old"}));
  // A binding's old field is one more field to recompute (it may now resolve to nothing).
  const auto b = collect({row("binding", "8", "ns.gpt-old"), row("binding", "ns.gpt")});
  BOOST_TEST((b.binding_ids == std::set<int64_t>{8}));
  BOOST_TEST((b.binding_fields == std::set<std::string>{"ns.gpt-old", "ns.gpt"}));
}

BOOST_AUTO_TEST_CASE(unknown_resources_and_bad_ids_ask_for_nothing) {
  const auto w = collect({row("nonsense", "1"), row("master", "not-a-number")});
  BOOST_TEST(w.masters.empty());
  BOOST_TEST(w.keys.empty());
  BOOST_TEST(w.providers.empty());
  BOOST_TEST(w.features.empty());
}

BOOST_AUTO_TEST_SUITE_END()
