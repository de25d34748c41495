#include "common/prometheus.h"

#include <array>
#include <charconv>
#include <cmath>

namespace ez::prometheus {

void append_family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_sample(std::string& out, const std::string& name, const std::string& labels,
                   const std::string& value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string escape_label(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  // Shortest round-trip text, in fixed notation when it fits ("0.0005", not "5e-04":
  // `le` labels are compared as text by people and by some tools).
  std::array<char, 64> buf{};
  auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed);
  if (r.ec != std::errc()) r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  if (r.ec != std::errc()) return "NaN";
  return std::string(buf.data(), r.ptr);
}

}  // namespace ez::prometheus
