#include "db/audit.h"

#include <boost/test/unit_test.hpp>

namespace audit = ez::db::audit;

BOOST_AUTO_TEST_SUITE(db_audit)

BOOST_AUTO_TEST_CASE(secret_field_names) {
  for (const char* s : {"api_key", "key", "master_key", "token", "secret", "password", "API_KEY",
                        "access_token", "client_secret", "db_password", "authorization"})
    BOOST_TEST(audit::is_secret_field(s), s);
  for (const char* s : {"name", "key_hash", "token_hash", "key_prefix", "token_prefix", "keys",
                        "monkey", "tokens_used", "id"})
    BOOST_TEST(!audit::is_secret_field(s), s);
}

BOOST_AUTO_TEST_CASE(mask_value) {
  BOOST_TEST(audit::mask_secret_value("") == "");
  BOOST_TEST(audit::mask_secret_value("short") == "****");
  BOOST_TEST(audit::mask_secret_value("sk-abcdef1234567890") == "sk-****7890");
  // By characters, not bytes: a multi-byte character is kept whole or dropped whole.
  BOOST_TEST(audit::mask_secret_value("ab€defghijklmn") == "ab€****klmn");
  BOOST_TEST(audit::mask_secret_value("€€€€€€€€€€€€") == "€€€****€€€€");
  BOOST_TEST(audit::mask_secret_value("€€€€€€€€€€€") == "****");  // 11 characters, 33 bytes
  BOOST_TEST(audit::mask_secret_value("abcdefgh😀😀😀😀") == "abc****😀😀😀😀");
}

BOOST_AUTO_TEST_CASE(mask_nested) {
  Json::Value v(Json::objectValue);
  v["name"] = "p";
  v["api_key"] = "sk-abcdef1234567890";
  v["nested"]["token"] = "abc";
  v["list"].append(Json::Value(Json::objectValue));
  v["list"][0]["master_key"] = "ezm_0123456789abcdef";
  v["list"][0]["keep"] = "visible";
  v["secret"] = 12345;
  v["password"] = Json::Value();
  const auto m = audit::mask_secrets(v);
  BOOST_TEST(m["name"].asString() == "p");
  BOOST_TEST(m["api_key"].asString() == "sk-****7890");
  BOOST_TEST(m["nested"]["token"].asString() == "****");
  BOOST_TEST(m["list"][0]["master_key"].asString() == "ezm****cdef");
  BOOST_TEST(m["list"][0]["keep"].asString() == "visible");
  BOOST_TEST(m["secret"].asString() == "****");
  BOOST_TEST(m["password"].isNull());
  BOOST_TEST(v["api_key"].asString() == "sk-abcdef1234567890");  // input untouched
}

// Audit rows never fail to insert on client text: PostgreSQL refuses NUL in text and the
// \u0000 escape in jsonb, and any invalid UTF-8. Such characters are stored as U+FFFD.
BOOST_AUTO_TEST_CASE(audit_values_are_storable_whatever_the_client_sent) {
  Json::Value v(Json::objectValue);
  v["exporter_build"] = std::string("a\0b", 3);
  v[std::string("unknown\xff")] = Json::Value(Json::arrayValue);
  v[std::string("unknown\xff")].append(std::string("x\xc3\x28y"));
  const Json::Value s = ez::db::audit::storable(v);
  BOOST_TEST(s["exporter_build"].asString() ==
             "a\xEF\xBF\xBD"
             "b");
  BOOST_TEST(s["unknown\xEF\xBF\xBD"][0].asString() == "x\xEF\xBF\xBD(y");
  BOOST_TEST(ez::db::audit::storable_text(std::string("r\0\xff", 3)) ==
             "r\xEF\xBF\xBD\xEF\xBF\xBD");
  BOOST_TEST(ez::db::audit::storable_text("plain") == "plain");
}

BOOST_AUTO_TEST_SUITE_END()
