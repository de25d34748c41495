#include "pgcopy/copy_text.h"

namespace ez::pgcopy {

namespace {

// COPY's escapes for one character that needs one; `array` also escapes what
// the array literal parser treats specially inside a quoted element.
void append_escaped(std::string& out, std::string_view v, bool array) {
  const char* special = array ? "\\\t\n\r\"" : "\\\t\n\r";
  for (;;) {
    const size_t at = v.find_first_of(special);
    out.append(v.substr(0, at));
    if (at == std::string_view::npos) return;
    switch (v[at]) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\\\"";  // array: \" ; COPY: the backslash doubled
        break;
      default:  // backslash
        out += array ? "\\\\\\\\" : "\\\\";
        break;
    }
    v.remove_prefix(at + 1);
  }
}

}  // namespace

CopyRow& CopyRow::text(std::string_view v) {
  separate();
  append_escaped(line_, v, false);
  return *this;
}

CopyRow& CopyRow::optional_text(std::optional<std::string_view> v) {
  if (!v) {
    separate();
    line_ += "\\N";
    return *this;
  }
  return text(*v);
}

CopyRow& CopyRow::integer(int64_t v) {
  separate();
  line_ += std::to_string(v);
  return *this;
}

CopyRow& CopyRow::boolean(bool v) {
  separate();
  line_ += v ? 't' : 'f';
  return *this;
}

CopyRow& CopyRow::text_array(const std::vector<std::string>& items) {
  separate();
  line_ += '{';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) line_ += ',';
    line_ += '"';
    append_escaped(line_, items[i], true);
    line_ += '"';
  }
  line_ += '}';
  return *this;
}

}  // namespace ez::pgcopy
