#include "logq/entry_fields.h"

#include <array>
#include <limits>
#include <type_traits>
#include <unordered_map>

namespace ez::logq::detail {

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

constexpr FieldRule text(std::string_view name, std::optional<std::string> LogEntry::*slot) {
  return {name, JsonType::string, false, 0, static_cast<int64_t>(kMaxTextBytes), false, slot};
}
constexpr FieldRule id(std::string_view name, std::optional<int64_t> LogEntry::*slot) {
  return {name, JsonType::integer, false, 0, kInt64Max, false, slot};
}
constexpr FieldRule count(std::string_view name, std::optional<int64_t> LogEntry::*slot,
                          int64_t max) {
  return {name, JsonType::integer, false, 0, max, false, slot};
}

// The order is the order of the bits the fast parser keeps; it is not visible outside.
constexpr std::array kRules = {
    FieldRule{"request_id", JsonType::string, true, 1, static_cast<int64_t>(kMaxRequestIdBytes),
              false, &LogEntry::request_id},
    FieldRule{"timestamp", JsonType::time, false, 0, kMaxUnixMs, false, &LogEntry::ts_us},
    id("master_id", &LogEntry::master_id),
    id("key_id", &LogEntry::key_id),
    id("provider_id", &LogEntry::provider_id),
    text("namespace", &LogEntry::ns),
    text("model", &LogEntry::model),
    text("upstream_model", &LogEntry::upstream_model),
    text("provider_type", &LogEntry::provider_type),
    text("route_group", &LogEntry::route_group),
    text("client_ip", &LogEntry::client_ip),
    text("error_type", &LogEntry::error_type),
    FieldRule{"status_code", JsonType::integer, false, 100, 599, false, &LogEntry::status_code},
    count("latency_ms", &LogEntry::latency_ms, kMaxLatencyMs),
    count("ttft_ms", &LogEntry::ttft_ms, kMaxLatencyMs),
    count("prompt_tokens", &LogEntry::prompt_tokens, kMaxTokens),
    count("completion_tokens", &LogEntry::completion_tokens, kMaxTokens),
    count("total_tokens", &LogEntry::total_tokens, kMaxTokens),
    FieldRule{"cost", JsonType::number, false, 0, kMaxCost, false, &LogEntry::cost},
    FieldRule{"stream", JsonType::boolean, false, 0, 0, false, &LogEntry::stream},
    FieldRule{"error_message", JsonType::string, false, 0,
              static_cast<int64_t>(kMaxErrorMessageBytes), true, &LogEntry::error_message},
    FieldRule{"extra", JsonType::object, false, 0, 0, false, std::monostate{}},
};
static_assert(kRules.size() <= 32, "the fast parser keeps one bit per field");

// Each JSON type lands in a member of the matching C++ type (checked once, at compile time,
// so store() cannot meet a mismatch at run time).
constexpr bool slots_match_types() {
  for (const FieldRule& r : kRules) {
    const size_t i = r.slot.index();
    const bool ok = (r.type == JsonType::string && (i == 1 || i == 2)) ||
                    (r.type == JsonType::integer && (i == 3 || i == 4)) ||
                    (r.type == JsonType::number && i == 5) ||
                    (r.type == JsonType::boolean && i == 6) ||
                    (r.type == JsonType::time && i == 7) || (r.type == JsonType::object && i == 0);
    if (!ok) return false;
  }
  return true;
}
static_assert(slots_match_types());

template <typename Value>
void assign(LogEntry& e, const Slot& slot, Value value) {
  std::visit(
      [&](auto member) {
        using Member = decltype(member);
        if constexpr (!std::is_same_v<Member, std::monostate>) {
          using Target = std::remove_reference_t<decltype(e.*member)>;
          if constexpr (std::is_same_v<Target, Value> ||
                        std::is_same_v<Target, std::optional<Value>>)
            e.*member = std::move(value);
          else if constexpr (std::is_same_v<Target, std::optional<int>> &&
                             std::is_same_v<Value, int64_t>)
            e.*member = static_cast<int>(value);  // status_code: its range keeps it in an int
        }
      },
      slot);
}

}  // namespace

std::span<const FieldRule> field_rules() {
  return kRules;
}

const FieldRule* find_rule(std::string_view name) {
  static const auto by_name = [] {
    std::unordered_map<std::string_view, const FieldRule*> m;
    for (const FieldRule& r : kRules) m.emplace(r.name, &r);
    return m;
  }();
  const auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : it->second;
}

size_t rule_index(const FieldRule& rule) {
  return static_cast<size_t>(&rule - kRules.data());
}

uint32_t required_mask() {
  static constexpr uint32_t kMask = [] {
    uint32_t mask = 0;
    for (size_t i = 0; i < kRules.size(); ++i)
      if (kRules[i].required) mask |= 1u << i;
    return mask;
  }();
  return kMask;
}

void store(LogEntry& e, const FieldRule& rule, std::string value) {
  assign(e, rule.slot, std::move(value));
}
void store(LogEntry& e, const FieldRule& rule, int64_t value) {
  assign(e, rule.slot, value);
}
void store(LogEntry& e, const FieldRule& rule, double value) {
  assign(e, rule.slot, value);
}
void store(LogEntry& e, const FieldRule& rule, bool value) {
  assign(e, rule.slot, value);
}

void throw_too_many(size_t max_entries) {
  throw EntryError(EntryError::Kind::too_many, -1, "",
                   "more than " + std::to_string(max_entries) + " entries in one request");
}

}  // namespace ez::logq::detail
