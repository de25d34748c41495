#include "config/checks.h"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <cstring>
#include <memory>
#include <sstream>

namespace ez::config {

namespace {

// libpq's parsed options, freed on scope exit.
struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using Conninfo = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;

Conninfo parse_conninfo(const std::string& dsn) {
  char* err = nullptr;
  Conninfo opts(PQconninfoParse(dsn.c_str(), &err));
  if (err) PQfreemem(err);
  return opts;
}

// One network: "ADDR" or "ADDR/PREFIX". Host bits must be zero: nginx would silently
// widen "10.0.0.1/8" to the whole 10/8, which is rarely what the operator meant.
std::optional<std::string> check_network(const std::string& net) {
  const auto slash = net.find('/');
  const std::string addr = net.substr(0, slash);
  std::array<unsigned char, 16> bytes{};
  int bits = 0;
  if (inet_pton(AF_INET, addr.c_str(), bytes.data()) == 1)
    bits = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), bytes.data()) == 1)
    bits = 128;
  else
    return "'" + net + "' is not an address or a network (e.g. 10.0.0.0/8, fd00::/8)";
  if (slash == std::string::npos) return std::nullopt;
  const std::string prefix_text = net.substr(slash + 1);
  int prefix = -1;
  const auto [ptr, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (ec != std::errc() || ptr != prefix_text.data() + prefix_text.size() || prefix < 0 ||
      prefix > bits || prefix_text.empty())
    return "'" + net + "' has a bad prefix length (0.." + std::to_string(bits) + ")";
  bool host_bits = false;
  std::array<unsigned char, 16> network = bytes;
  for (int i = prefix; i < bits; ++i) {
    const int byte = i / 8;
    const auto mask = static_cast<unsigned char>(0x80u >> (i % 8));
    if (network[static_cast<size_t>(byte)] & mask) {
      host_bits = true;
      network[static_cast<size_t>(byte)] =
          static_cast<unsigned char>(network[static_cast<size_t>(byte)] & ~mask);
    }
  }
  if (!host_bits) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(bits == 32 ? AF_INET : AF_INET6, network.data(), text, sizeof text);
  return "'" + net + "' has host bits set (did you mean " + text + "/" + prefix_text + "?)";
}

// A value as libpq's keyword/value syntax reads it back.
std::string quote_value(const std::string& v) {
  if (!v.empty() && v.find_first_of(" \t\n'\\") == std::string::npos) return v;
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::optional<std::string> check_networks(const std::string& list) {
  std::istringstream in(list);
  std::string net;
  int n = 0;
  while (in >> net) {
    ++n;
    if (auto problem = check_network(net)) return problem;
  }
  if (n == 0) return "empty: nginx would let no one reach /logs and /sync/";
  return std::nullopt;
}

std::optional<std::string> check_dsn(const std::string& dsn) {
  const Conninfo opts = parse_conninfo(dsn);
  if (!opts) return std::nullopt;  // the syntax check reports it, with libpq's words
  for (const PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (!o->val) continue;
    const std::string kw = o->keyword;
    if (kw != "host" && kw != "hostaddr") continue;
    const std::string val = o->val;
    if (val.empty()) return "the connection string sets an empty " + kw;
    // libpq skips spaces after '=': "host= dbname=x" sets host to "dbname=x".
    if (val.find('=') != std::string::npos)
      return kw + " is '" + val + "': its value is missing (write " + kw + "=NAME)";
  }
  // URIs say "no host" by leaving it out ("postgresql://:5432/db"); libpq would then
  // use the local socket, which is not what a URI with a port asks for.
  if (dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0) {
    const auto scheme_end = dsn.find("://") + 3;
    const auto end = dsn.find_first_of("/?", scheme_end);
    std::string authority =
        dsn.substr(scheme_end, end == std::string::npos ? end : end - scheme_end);
    if (const auto at = authority.rfind('@'); at != std::string::npos)
      authority = authority.substr(at + 1);
    if (authority.empty() || authority[0] == ':') return "the connection URI has an empty host";
  }
  return std::nullopt;
}

std::string mask_dsn_password(const std::string& dsn) {
  const Conninfo opts = parse_conninfo(dsn);
  if (!opts) return "****(unparsable, " + std::to_string(dsn.size()) + " chars)";
  std::string out;
  for (const PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (!o->val) continue;
    const std::string kw = o->keyword;
    if (!out.empty()) out += ' ';
    out += kw + "=" + (kw == "password" ? std::string("****") : quote_value(o->val));
  }
  return out;
}

}  // namespace ez::config
