// Binding selectors exactly as the balancer evaluates them. The balancer is
// written in Go, so every step here reproduces a Go function (docs/architecture.md, "The Redis
// contract"):
//  - values are trimmed with strings.TrimSpace (Unicode White_Space, not only ASCII);
//  - normalize_exact lower-cases with strings.ToLower (Unicode simple case
//    mapping, rune by rune) and keeps what follows the last '/';
//  - regex selectors are RE2 patterns (Go's regexp is RE2 syntax and semantics)
//    matched like regexp.MatchString: an unanchored search, so "opus" matches
//    "claude-3-opus-v2"; write ^...$ to pin the whole name. RE2 runs in time
//    linear in the text, so no pattern can stall a resync (PCRE backtracked for
//    30 s on (a|aa)+$ against long names).
// The API validates patterns with the same compile() the resolution uses, so a
// pattern is accepted exactly when the snapshot builder can evaluate it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace re2 {
class RE2;
}

namespace ez::snapshot {

// Go's strings.TrimSpace: strips Unicode White_Space (\t \n \v \f \r space,
// U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F,
// U+3000) at both ends. `s` must be valid UTF-8.
[[nodiscard]] std::string_view trim_space(std::string_view s);

// unicode.ToLower for one code point (Unicode simple lower-case mapping).
[[nodiscard]] uint32_t to_lower_rune(uint32_t c);
// strings.ToLower on valid UTF-8 (invalid bytes are copied unchanged).
[[nodiscard]] std::string to_lower(std::string_view s);

// normalize_exact's key: "  OpenAI/GPT-4o " -> "gpt-4o" (trim, lower-case,
// keep what follows the last '/').
[[nodiscard]] std::string normalize_model(std::string_view name);

// A compiled regex selector. RE2's default options are Go's regexp.Compile:
// UTF-8, Perl-like syntax with ^/$ at the ends of the text only, leftmost-first,
// repeat counts up to 1000, no \Z, no backreferences, no lookaround. RE2 C++
// accepts one escape Go refuses, \C (any byte): it is refused here.
class SelectorRegex {
 public:
  explicit SelectorRegex(std::string_view pattern);
  ~SelectorRegex();
  SelectorRegex(const SelectorRegex&) = delete;
  SelectorRegex& operator=(const SelectorRegex&) = delete;

  // Empty when the pattern compiled; otherwise RE2's message (e.g.
  // "invalid repetition size: {1001}").
  [[nodiscard]] const std::string& error() const { return error_; }
  [[nodiscard]] bool ok() const { return error_.empty(); }
  // regexp.MatchString: does the pattern match anywhere in `text`? False when !ok().
  [[nodiscard]] bool search(std::string_view text) const;

 private:
  std::unique_ptr<re2::RE2> re_;
  std::string error_;
};

// Empty when `pattern` is a regex selector the balancer compiles, else the reason.
[[nodiscard]] std::string regex_problem(std::string_view pattern);

}  // namespace ez::snapshot
