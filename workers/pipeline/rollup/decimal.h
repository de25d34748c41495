// Decimal text for prices and costs: they are stored as PostgreSQL numeric and must never
// pass through a binary fraction on the way (no 2.5000000000000002e-06).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ez::rollup {

// "2.5e-06" -> "0.0000025", "007.50" -> "7.5", "1E3" -> "1000". Accepts an optional
// leading '+', digits with an optional fraction, and an optional exponent; refuses signs
// other than '+' (prices are never negative), NaN, infinities and anything else. nullopt
// when malformed or when the result would need more than `max_fraction_digits` digits after
// the point or `max_integer_digits` before it.
[[nodiscard]] std::optional<std::string> normalize_decimal(std::string_view text,
                                                           size_t max_integer_digits = 12,
                                                           size_t max_fraction_digits = 18);

// A double as the shortest text that reads back as the same double ("2.5e-06", "0.1").
[[nodiscard]] std::string shortest(double v);

}  // namespace ez::rollup
