#include "db/cells.h"

#include <charconv>
#include <cstdlib>

#include "common/time.h"

namespace ez::db {

void Cells::assign(const std::vector<std::optional<std::string>>& fields, size_t n) {
  cells_.clear();
  for (size_t i = 0; i < n; ++i) {
    if (fields[i])
      add(*fields[i]);
    else
      add_null();
  }
}

std::optional<std::string> Cells::opt_str(size_t i) const {
  if (is_null(i)) return std::nullopt;
  return str(i);
}

int64_t Cells::i64(size_t i) const {
  const std::string_view t = text(i);
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

double Cells::f64(size_t i) const {
  if (is_null(i)) return 0;
  // strtod reads PostgreSQL's "Infinity" and "NaN" as well.
  return std::strtod(str(i).c_str(), nullptr);
}

void Cells::array(size_t i, std::vector<std::string>& out) const {
  parse_array_literal(text(i), out);
}

std::string Cells::rfc3339(size_t i) const {
  return is_null(i) ? std::string() : format_rfc3339_us(i64(i));
}

namespace {

bool is_null_word(std::string_view item) {
  // array_in reads an unquoted NULL in any case (array_out quotes a string that spells it).
  if (item.size() != 4) return false;
  static constexpr char kUpper[] = "NULL";
  for (size_t i = 0; i < 4; ++i)
    if ((item[i] & ~0x20) != kUpper[i]) return false;
  return true;
}

}  // namespace

void parse_array_literal(std::string_view s, std::vector<std::string>& out) {
  size_t n = 0;
  // The next element's string, reusing the buffer a previous row left there.
  auto next = [&]() -> std::string& {
    if (n == out.size()) out.emplace_back();
    return out[n++];
  };
  size_t i = 0;
  // A lower bound other than 1 is written before the braces: '[0:1]={a,b}'.
  if (!s.empty() && s[0] == '[') {
    const size_t eq = s.find('=');
    i = eq == std::string_view::npos ? s.size() : eq + 1;
  }
  if (i >= s.size() || s[i] != '{') {
    out.clear();
    return;
  }
  int depth = 0;
  bool closed = false;
  while (i < s.size() && !closed) {
    const char c = s[i];
    if (c == '{') {
      ++depth;  // nested arrays are flattened
      ++i;
    } else if (c == '}') {
      closed = --depth == 0;
      ++i;
    } else if (c == ',' || c == ' ') {
      ++i;
    } else if (c == '"') {
      std::string& e = next();
      const size_t start = ++i;
      const size_t stop = s.find_first_of("\"\\", start);
      if (stop != std::string_view::npos && s[stop] == '"') {
        e.assign(s.substr(start, stop - start));  // no escape: one copy
        i = stop + 1;
        continue;
      }
      e.clear();
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;  // \" and \\ stand for the character
        e.push_back(s[i++]);
      }
      if (i == s.size()) break;  // unterminated: malformed
      ++i;
    } else {
      const size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}') ++i;
      std::string_view item = s.substr(start, i - start);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (is_null_word(item)) continue;  // a NULL element carries no value: dropped
      std::string& e = next();
      if (item.find('\\') == std::string_view::npos) {
        e.assign(item);
      } else {
        e.clear();
        for (size_t j = 0; j < item.size(); ++j) {
          if (item[j] == '\\' && j + 1 < item.size()) ++j;
          e.push_back(item[j]);
        }
      }
    }
  }
  out.resize(closed ? n : 0);
}

std::vector<std::string> parse_array_literal(std::string_view literal) {
  std::vector<std::string> out;
  parse_array_literal(literal, out);
  return out;
}

std::string text_array(const std::vector<std::string>& values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s.push_back(',');
    s.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') s.push_back('\\');
      s.push_back(c);
    }
    s.push_back('"');
  }
  s.push_back('}');
  return s;
}

std::string int_array(const std::vector<int64_t>& values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s.push_back(',');
    s += std::to_string(values[i]);
  }
  s.push_back('}');
  return s;
}

size_t split_copy_line(const std::string& line, std::vector<std::optional<std::string>>& fields) {
  size_t end = line.size();
  if (end > 0 && line[end - 1] == '\n') --end;
  size_t i = 0, n = 0;
  for (;;) {
    size_t stop = line.find('\t', i);
    if (stop == std::string::npos || stop > end) stop = end;
    if (n == fields.size()) fields.emplace_back();
    auto& f = fields[n++];
    if (stop - i == 2 && line[i] == '\\' && line[i + 1] == 'N') {
      f.reset();
    } else {
      if (!f) f.emplace();
      // Fields are reused row after row, so their buffers are allocated once.
      if (line.find('\\', i) >= stop) {
        f->assign(line, i, stop - i);
      } else {
        f->clear();
        for (size_t j = i; j < stop; ++j) {
          char c = line[j];
          if (c == '\\' && j + 1 < stop) {
            const char e = line[++j];
            switch (e) {
              case 'b':
                c = '\b';
                break;
              case 'f':
                c = '\f';
                break;
              case 'n':
                c = '\n';
                break;
              case 'r':
                c = '\r';
                break;
              case 't':
                c = '\t';
                break;
              case 'v':
                c = '\v';
                break;
              default:
                c = e;  // \\ and any other escaped character stand for themselves
            }
          }
          f->push_back(c);
        }
      }
    }
    if (stop >= end) break;
    i = stop + 1;
  }
  return n;
}

}  // namespace ez::db
