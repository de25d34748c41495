// Time, once: the RFC 3339 parser every input goes through (API bodies, query windows,
// log entries, the import file), its formatters, and the clocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ez {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

// Strict RFC 3339 as the balancer's Go time.Parse reads it:
// YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM). Real calendar dates;
// seconds 00..59 (Go refuses a leap second "60", so do we); any number of fraction
// digits, cut at microseconds; the offset is required; years 1..9999 once converted
// to UTC (what both PostgreSQL's timestamptz and Go can hold). Unix microseconds.
[[nodiscard]] std::optional<int64_t> parse_rfc3339_us(std::string_view text);
[[nodiscard]] std::optional<TimePoint> parse_rfc3339(std::string_view text);

// The rule above as an error message ends it: "<field> " + kTimeRule.
inline constexpr const char* kTimeRule =
    "must be an RFC 3339 time between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z "
    "(after conversion to UTC), such as 2025-01-31T12:00:00Z";

// "2024-05-01T10:00:00Z" (".123456" only when there are sub-second digits): API answers.
[[nodiscard]] std::string format_rfc3339(TimePoint t);
[[nodiscard]] std::string format_rfc3339_us(int64_t unix_us);
// "2024-05-01 10:00:00.000000+00": PostgreSQL's timestamptz text, for COPY and
// parameters on the log path (written by hand, it runs twice per log entry).
[[nodiscard]] std::string format_timestamp_us(int64_t unix_us);

// Wall clock (unix time) and CLOCK_MONOTONIC (the same clock in every process, immune
// to wall-clock jumps: for durations and heartbeats between processes).
[[nodiscard]] int64_t unix_now_us();
[[nodiscard]] int64_t unix_now_ms();
[[nodiscard]] int64_t unix_now_s();
[[nodiscard]] uint64_t monotonic_ns();

}  // namespace ez
