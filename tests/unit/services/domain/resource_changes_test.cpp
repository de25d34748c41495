// Tests for what the provider, model and binding services put in an outbox row besides the
// id (workers/services/domain/{providers,models,bindings}.*): the old place a change leaves
// behind, which the pusher must also recompute or remove from Redis.
#include <boost/test/unit_test.hpp>

#include "domain/bindings.h"
#include "domain/models.h"
#include "domain/providers.h"

using namespace ez::domain;

BOOST_AUTO_TEST_SUITE(domain_resource_changes)

BOOST_AUTO_TEST_CASE(a_provider_leaves_its_group_when_moved_or_deleted) {
  ez::db::ProviderRow before;
  before.id = 1;
  before.group_id = 7;
  ez::db::ProviderRow after = before;
  after.v.weight = 5;
  BOOST_TEST(provider_left_group(before, &after) == 0);  // stayed: nothing else to recompute
  after.group_id = 9;
  BOOST_TEST(provider_left_group(before, &after) == 7);
  BOOST_TEST(provider_left_group(before, nullptr) == 7);  // deleted
}

BOOST_AUTO_TEST_CASE(a_renamed_model_leaves_its_old_field) {
  ez::db::ModelRow before;
  before.v.name = "default.gpt-4o";
  ez::db::ModelRow after = before;
  after.v.context_window = 128000;
  BOOST_TEST(model_left_name(before, after).empty());
  after.v.name = "default.gpt-4o-2024";
  BOOST_TEST(model_left_name(before, after) == "default.gpt-4o");
}

BOOST_AUTO_TEST_CASE(a_moved_binding_leaves_the_field_of_its_old_pair) {
  ez::db::BindingValues before;
  before.ns = "default";
  before.public_model = "gpt-4o";
  before.route_group = "g1";
  BOOST_TEST(binding_field(before) == "default.gpt-4o");
  ez::db::BindingValues after = before;
  after.route_group = "g2";  // another candidate of the same pair: one field
  after.selector_value = "gpt-4o-mini";
  BOOST_TEST(binding_left_field(before, after).empty());
  after.public_model = "gpt-4.1";
  BOOST_TEST(binding_field(after) == "default.gpt-4.1");
  BOOST_TEST(binding_left_field(before, after) == "default.gpt-4o");
  after = before;
  after.ns = "team";
  BOOST_TEST(binding_left_field(before, after) == "default.gpt-4o");
}

BOOST_AUTO_TEST_SUITE_END()
