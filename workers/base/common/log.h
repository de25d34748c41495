// Process logging on Poco::Logger: one line per event on stderr (journald or the
// stack's log file picks it up), with the pid and the current request id.
#pragma once

#include <string>
#include <string_view>

namespace ez::log {

enum class Level { debug, info, warn, error };

// Configure once per process: component name ("master", "worker", "flusher", "ctl").
void init(std::string_view component, std::string_view level);
// Re-read after fork so each line carries the child's pid/role.
void set_component(std::string_view component);

// The request id appears in every line logged while a request is served.
void set_request_id(std::string_view id);
void clear_request_id();

// Writes one line. The message and the request id go through escape_for_log() here, so a
// value from a request (a decoded path, a header, a name from a log entry) cannot start a
// line of its own whatever the caller built the message from.
void write(Level level, std::string_view message);
// `text` with every byte that could end or disguise a log line spelled out: C0 controls
// and DEL as \n \r \t or \xNN, and the UTF-8 encoded C1 controls (NEL...), the Unicode
// line and paragraph separators and the bidirectional overrides and isolates as \uNNNN.
// A backslash stays as it is: what escaping protects is the line structure, and doubling
// it would change every message that quotes a pattern or a path.
[[nodiscard]] std::string escape_for_log(std::string_view text);
// Whether a line at `level` would be written (to skip formatting it otherwise).
[[nodiscard]] bool enabled(Level level);
inline void debug(std::string_view m) {
  write(Level::debug, m);
}
inline void info(std::string_view m) {
  write(Level::info, m);
}
inline void warn(std::string_view m) {
  write(Level::warn, m);
}
inline void error(std::string_view m) {
  write(Level::error, m);
}

}  // namespace ez::log
