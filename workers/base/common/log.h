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

void write(Level level, std::string_view message);
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
