// Value checks and renderings of single config values that need more than a range:
// network lists, PostgreSQL connection strings. Pure functions; config.cpp calls them
// and turns a failure into a ConfigError naming the key.
#pragma once

#include <optional>
#include <string>

namespace ez::config {

// http.allowed_networks: space-separated addresses or CIDR networks (IPv4 or IPv6), as
// nginx's `allow` takes them. Returns why the list is unusable ("'banana' is not an
// address or a network", "'10.0.0.1/8' has host bits set (did you mean 10.0.0.0/8?)"),
// or nullopt when it is fine. An empty list is refused: nginx would allow nobody.
[[nodiscard]] std::optional<std::string> check_networks(const std::string& list);

// postgres.dsn beyond libpq's syntax check: an explicitly empty host or hostaddr
// ("host=''", "postgresql://:5432/x"), or one that swallowed the next pair ("host= dbname=x"
// sets host to "dbname=x") is refused. nullopt when fine.
[[nodiscard]] std::optional<std::string> check_dsn(const std::string& dsn);

// The DSN with only its password masked, for --check-config: keyword/value text with
// every option the string set ("host=db port=5432 user=ezapi password=****"). A DSN
// libpq cannot parse is masked whole.
[[nodiscard]] std::string mask_dsn_password(const std::string& dsn);

}  // namespace ez::config
