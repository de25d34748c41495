#include "db/pg.h"

#include <boost/test/unit_test.hpp>

using ez::db::is_connection_loss;
using ez::db::is_connection_loss_state;

BOOST_AUTO_TEST_SUITE(db_pg)

// What makes a request reconnect and retry (its transaction died with the
// session) rather than answer an error about the request itself.
BOOST_AUTO_TEST_CASE(sqlstates_that_mean_the_session_is_gone) {
  for (const char* s : {"57P01", "57P02", "57P03", "08006", "08003", "08001", "25006"})
    BOOST_TEST(is_connection_loss_state(s), s);
  for (const char* s : {"23505", "23503", "22P02", "40001", "42P01", "57014", ""})
    BOOST_TEST(!is_connection_loss_state(s), s);
}

BOOST_AUTO_TEST_CASE(lost_commit_is_not_retried) {
  BOOST_TEST(is_connection_loss(pqxx::broken_connection("gone")));
  // The COMMIT was sent: retrying could apply the write twice.
  BOOST_TEST(!is_connection_loss(pqxx::in_doubt_error("commit lost")));
  BOOST_TEST(is_connection_loss(pqxx::sql_error("terminating connection", "", "57P01")));
  BOOST_TEST(!is_connection_loss(pqxx::unique_violation("dup", "", "23505")));
  BOOST_TEST(!is_connection_loss(std::runtime_error("other")));
}

BOOST_AUTO_TEST_SUITE_END()
