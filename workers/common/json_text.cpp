#include "common/json_text.h"

namespace ez {

std::optional<size_t> find_json_comment(std::string_view text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/') {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace ez
