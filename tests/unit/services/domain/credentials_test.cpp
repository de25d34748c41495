// The one-token-one-credential rule (domain/credentials.h), the pure half: which holders
// make a token taken, and what the 409 says.
#include "domain/credentials.h"

#include <boost/test/unit_test.hpp>

#include "common/error.h"

BOOST_AUTO_TEST_SUITE(domain_credentials)

using ez::domain::refuse_held_token;
using ez::domain::TokenHolderKind;
using ez::domain::TokenHolders;

namespace {

// The error refuse_held_token throws, or "" when the token is free.
std::string refusal(const TokenHolders& holders, const std::string& hash, TokenHolderKind kind,
                    int64_t id) {
  try {
    refuse_held_token(holders, hash, {kind, id}, "data.keys[0].original_token");
    return "";
  } catch (const ez::Error& e) {
    BOOST_TEST((e.code() == ez::ErrorCode::conflict));
    BOOST_TEST(e.field() == "data.keys[0].original_token");
    return e.what();
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_token_held_by_another_credential_is_a_conflict_naming_its_kind) {
  const std::string h(64, 'a');
  BOOST_TEST(refusal({}, h, TokenHolderKind::client_key, 0) == "");
  BOOST_TEST(refusal({{h, {{TokenHolderKind::master_key, 3}}}}, h, TokenHolderKind::client_key, 0)
                 .find("the key of master 3") != std::string::npos);
  BOOST_TEST(refusal({{h, {{TokenHolderKind::admin_token, 0}}}}, h, TokenHolderKind::client_key, 0)
                 .find("the admin token") != std::string::npos);
  BOOST_TEST(
      refusal({{h, {{TokenHolderKind::internal_token, 0}}}}, h, TokenHolderKind::master_key, 0)
          .find("the internal token") != std::string::npos);
  BOOST_TEST(refusal({{h, {{TokenHolderKind::client_key, 7}}}}, h, TokenHolderKind::client_key, 8)
                 .find("key 7") != std::string::npos);
  // The message never carries the hash (nor, therefore, anything derived from the token).
  BOOST_TEST(refusal({{h, {{TokenHolderKind::client_key, 7}}}}, h, TokenHolderKind::client_key, 8)
                 .find(h) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_row_holding_its_own_token_is_not_a_conflict) {
  const std::string h(64, 'b');
  BOOST_TEST(
      refusal({{h, {{TokenHolderKind::client_key, 7}}}}, h, TokenHolderKind::client_key, 7) == "");
  BOOST_TEST(
      refusal({{h, {{TokenHolderKind::master_key, 7}}}}, h, TokenHolderKind::master_key, 7) == "");
  // The same id in another table is another credential.
  BOOST_TEST(
      refusal({{h, {{TokenHolderKind::master_key, 7}}}}, h, TokenHolderKind::client_key, 7) != "");
  // A row not written yet (id 0) holds nothing.
  BOOST_TEST(
      refusal({{h, {{TokenHolderKind::client_key, 0}}}}, h, TokenHolderKind::client_key, 0) != "");
}

BOOST_AUTO_TEST_SUITE_END()
