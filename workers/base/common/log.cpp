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
  return std::string(text);
}

void write(Level level, std::string_view message) {
  auto& l = logger();
  const auto prio = to_priority(level);
  if (!l.is(prio)) return;
  std::string text;
  text.reserve(message.size() + 48);
  if (!g_request_id.empty()) {
    text += "rid=";
    text += g_request_id;
    text += ' ';
  }
  text += message;
  l.log(Poco::Message(g_component, text, prio));
}

}  // namespace ez::log
