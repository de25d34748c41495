#include "db/pg_cells.h"

namespace ez::db {

void cells_of(const pqxx::row& r, Cells& out) {
  out.clear();
  for (const auto& f : r) {
    if (f.is_null())
      out.add_null();
    else
      out.add(std::string_view(f.c_str(), f.size()));
  }
}

}  // namespace ez::db
