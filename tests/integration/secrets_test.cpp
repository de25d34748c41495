// No secret the API hands out (master keys, client keys, rotated keys) is kept
// anywhere in PostgreSQL: a full pg_dump of the stack's database holds only
// their sha256 digests and display prefixes. The audit trail holds neither the
// secrets nor their digests, and neither do the stack's log files.
#define BOOST_TEST_MODULE secrets
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "api/auth.h"
#include "http/response.h"
#include "support/stack.h"

using ez::it::describe;
using ez::it::js;
using ez::it::stack;
using ez::it::unique;

namespace {

std::string run(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    *rc = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

Json::Value post(const std::string& path, const std::string& body, const std::string& token = {}) {
  auto& s = stack();
  auto r = token.empty() ? s.http("POST", path, body) : s.http_token("POST", path, token, body);
  BOOST_REQUIRE_MESSAGE(r.status == 201 || r.status == 200, path << ": " << describe(r));
  return r.json();
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

BOOST_AUTO_TEST_CASE(pg_dump_holds_no_secret) {
  auto& s = stack();
  std::vector<std::string> secrets;
  std::vector<std::string> retired;  // rotated away: must be gone too

  // Every path that returns a secret.
  for (int i = 0; i < 3; ++i) {
    Json::Value body(Json::objectValue);
    body["name"] = "secrets-master-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    body["namespaces"].append("ns");
    auto m = post("/admin/masters", ez::http::to_json(body));
    const std::string mid = std::to_string(m["id"].asInt64());
    const std::string master_key = m["master_key"].asString();
    secrets.push_back(master_key);

    Json::Value kb(Json::objectValue);
    kb["master_id"] = m["id"];
    secrets.push_back(post("/keys", ez::http::to_json(kb))["key"].asString());
    secrets.push_back(post("/admin/masters/" + mid + "/keys", "{}")["key"].asString());
    auto own = post("/master/keys", R"({"name":"self"})", master_key);
    secrets.push_back(own["key"].asString());

    // Rotate the self-issued key twice: every generation is a secret.
    const std::string kid = std::to_string(own["id"].asInt64());
    for (int r = 0; r < 2; ++r) {
      retired.push_back(secrets.back());
      secrets.pop_back();
      secrets.push_back(post("/keys/" + kid + "/rotate", "")["key"].asString());
    }
    // A deleted key's secret must not linger either.
    auto gone = post("/admin/masters/" + mid + "/keys", "{}");
    retired.push_back(gone["key"].asString());
    BOOST_TEST(s.http("DELETE", "/keys/" + std::to_string(gone["id"].asInt64())).status == 204);
  }
  std::vector<std::string> all = secrets;
  all.insert(all.end(), retired.begin(), retired.end());
  for (const auto& sec : all) BOOST_REQUIRE(sec.size() > 40);

  int rc = 0;
  const std::string dump = run(
      "/usr/lib/postgresql/15/bin/pg_dump --no-password " + shell_quote(s.pg_dsn) + " 2>&1", &rc);
  BOOST_REQUIRE_MESSAGE(rc == 0, "pg_dump failed: " << dump.substr(0, 500));
  BOOST_REQUIRE(dump.find("CREATE TABLE public.keys") != std::string::npos);

  for (const auto& sec : all) {
    BOOST_TEST(dump.find(sec) == std::string::npos,
               "secret " << sec.substr(0, 8) << "... in pg_dump");
    // Not even the random part without its "ezk_"/"ezm_" prefix.
    BOOST_TEST(dump.find(sec.substr(4)) == std::string::npos);
  }
  // What is there: the digests of the live secrets (the balancer's contract).
  for (const auto& sec : secrets) BOOST_TEST(dump.find(ez::sha256_hex(sec)) != std::string::npos);

  // The audit trail carries neither the secrets nor their digests.
  const auto audit =
      s.sql("SELECT coalesce(before::text,'') || coalesce(after::text,'') FROM audit_log");
  BOOST_REQUIRE(!audit.empty());
  std::string audit_text;
  for (const auto& row : audit) audit_text += row[0] + "\n";
  for (const auto& sec : all) {
    BOOST_TEST(audit_text.find(sec) == std::string::npos);
    BOOST_TEST(audit_text.find(ez::sha256_hex(sec)) == std::string::npos);
  }

  // Nor do the stack's logs (nginx, the server, the flusher, PostgreSQL).
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(s.dir, ec)) {
    if (!e.is_regular_file()) continue;
    const auto name = e.path().filename().string();
    if (name.size() < 4 || name.substr(name.size() - 4) != ".log") continue;
    const std::string text = slurp(e.path());
    for (const auto& sec : all)
      BOOST_TEST(text.find(sec) == std::string::npos,
                 "secret " << sec.substr(0, 8) << "... in " << e.path().string());
  }
}
