#include "snapshot/selector.h"

#include <re2/re2.h>

namespace ez::snapshot {

namespace {

// Decodes the code point at s[i] (valid UTF-8 assumed; a stray byte decodes as
// itself with length 1, which no Go White_Space or case mapping matches).
uint32_t decode(std::string_view s, size_t i, size_t& len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) {
    len = 1;
    return 0xFFFFFFFF;  // not a code point: never a space, never lower-cased
  }
  uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) {
      len = 1;
      return 0xFFFFFFFF;
    }
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  len = n;
  return cp;
}

void encode(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// unicode.IsSpace: Go's White_Space set.
bool is_space(uint32_t c) {
  switch (c) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// RE2 C++ accepts \C (match any single byte); Go's regexp/syntax refuses it
// ("invalid escape sequence"). Text between \Q and \E is literal in both.
bool has_any_byte_escape(std::string_view p) {
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    if (p[i] != '\\') continue;
    const char next = p[i + 1];
    if (next == 'C') return true;
    if (next == 'Q') {
      const size_t end = p.find("\\E", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 1;
      continue;
    }
    ++i;  // skip the escaped character (e.g. the second '\' of "\\C")
  }
  return false;
}

}  // namespace

std::string_view trim_space(std::string_view s) {
  size_t len = 0;
  while (!s.empty() && is_space(decode(s, 0, len))) s.remove_prefix(len);
  while (!s.empty()) {
    // Start of the last code point: back over at most three continuation bytes.
    size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
      --start;
    if (!is_space(decode(s, start, len)) || start + len != s.size()) break;
    s.remove_suffix(len);
  }
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {  // ASCII fast path, as in Go
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
      ++i;
      continue;
    }
    size_t len = 0;
    const uint32_t cp = decode(s, i, len);
    if (cp == 0xFFFFFFFF)
      out.append(s.substr(i, len));
    else
      encode(to_lower_rune(cp), out);
    i += len;
  }
  return out;
}

std::string normalize_model(std::string_view name) {
  std::string out = to_lower(trim_space(name));
  if (const auto slash = out.rfind('/'); slash != std::string::npos) out.erase(0, slash + 1);
  return out;
}

SelectorRegex::SelectorRegex(std::string_view pattern) {
  if (has_any_byte_escape(pattern)) {
    error_ = "invalid escape sequence: \\C";
    return;
  }
  // RE2's defaults are Go's regexp.Compile; spelled out so a change of default
  // cannot silently change the semantics.
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_posix_syntax(false);   // Perl-like syntax, ^ and $ at the ends of the text
  options.set_longest_match(false);  // leftmost-first, as Go (not regexp.CompilePOSIX)
  options.set_case_sensitive(true);
  options.set_dot_nl(false);
  options.set_never_nl(false);
  options.set_literal(false);
  options.set_log_errors(false);  // the error goes into the API's answer, not to stderr
  re_ = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re_->ok()) {
    error_ = re_->error();
    if (error_.empty()) error_ = "does not compile";
    re_.reset();
  }
}

SelectorRegex::~SelectorRegex() = default;

bool SelectorRegex::search(std::string_view text) const {
  return re_ && RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

std::string regex_problem(std::string_view pattern) {
  return SelectorRegex(pattern).error();
}

}  // namespace ez::snapshot
