#include "common/log.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <Poco/PatternFormatter.h>
#include <unistd.h>

#include <iostream>

namespace ez::log {
namespace {

std::string g_component = "ezapi";
std::string g_request_id;

Poco::Logger& logger() {
  static Poco::Logger& l = []() -> Poco::Logger& {
    Poco::AutoPtr<Poco::PatternFormatter> fmt(
        new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%S.%iZ %q %s[%P] %t"));
    Poco::AutoPtr<Poco::FormattingChannel> chan(
        new Poco::FormattingChannel(fmt, new Poco::ConsoleChannel(std::cerr)));
    Poco::Logger& root = Poco::Logger::get("ezapi");
    root.setChannel(chan);
    root.setLevel(Poco::Message::PRIO_INFORMATION);
    return root;
  }();
  return l;
}

Poco::Message::Priority to_priority(Level level) {
  switch (level) {
    case Level::debug:
      return Poco::Message::PRIO_DEBUG;
    case Level::info:
      return Poco::Message::PRIO_INFORMATION;
    case Level::warn:
      return Poco::Message::PRIO_WARNING;
    case Level::error:
      return Poco::Message::PRIO_ERROR;
  }
  return Poco::Message::PRIO_INFORMATION;
}

}  // namespace

void init(std::string_view component, std::string_view level) {
  g_component = component;
  Level l = level == "debug"   ? Level::debug
            : level == "warn"  ? Level::warn
            : level == "error" ? Level::error
                               : Level::info;
  logger().setLevel(to_priority(l));
}

void set_component(std::string_view component) {
  g_component = component;
}
void set_request_id(std::string_view id) {
  g_request_id = id;
}
void clear_request_id() {
  g_request_id.clear();
}

bool enabled(Level level) {
  return logger().is(to_priority(level));
}

std::string escape_for_log(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = p[i];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
      // U+0080..U+009F, the C1 controls (NEL, U+0085, ends a line for some readers).
      out += "\\u00";
      out += kHex[p[i + 1] >> 4];
      out += kHex[p[i + 1] & 0xf];
      ++i;
    } else if (c == 0xe2 && i + 2 < n &&
               ((p[i + 1] == 0x80 && p[i + 2] >= 0xa8 && p[i + 2] <= 0xae) ||
                (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9))) {
      // U+2028/U+2029 (line and paragraph separators), U+202A..U+202E and U+2066..U+2069
      // (bidirectional embeddings, overrides and isolates: they reorder what a reader sees).
      const unsigned cp = 0x2000u | ((p[i + 1] & 0x3fu) << 6) | (p[i + 2] & 0x3fu);
      out += "\\u";
      out += kHex[(cp >> 12) & 0xf];
      out += kHex[(cp >> 8) & 0xf];
      out += kHex[(cp >> 4) & 0xf];
      out += kHex[cp & 0xf];
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void write(Level level, std::string_view message) {
  auto& l = logger();
  const auto prio = to_priority(level);
  if (!l.is(prio)) return;
  std::string text;
  text.reserve(message.size() + 48);
  // Escaped here, for every caller: the request id is the client's X-Request-ID when it
  // sent one, and messages quote paths, headers and names from requests.
  if (!g_request_id.empty()) {
    text += "rid=";
    text += escape_for_log(g_request_id);
    text += ' ';
  }
  text += escape_for_log(message);
  l.log(Poco::Message(g_component, text, prio));
}

}  // namespace ez::log
