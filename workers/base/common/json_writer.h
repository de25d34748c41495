// Compact JSON text of a Json::Value, written straight into a std::string.
//
// The bytes are exactly what http::to_json produced through jsoncpp's StreamWriter
// (indentation "", emitUTF8) plus the rewrite of every double into its shortest
// round-trip form: keys in jsoncpp's member order, the same escapes (", \, \b \f \n \r \t,
// \u00xx for other control bytes, everything else verbatim), "null" / "1e+9999" /
// "-1e+9999" for NaN and the infinities. jsoncpp's writer goes through an ostringstream
// and a string per token; on a 50-item admin list that was a fifth of the worker's time.
#pragma once

#include <json/value.h>

#include <string>
#include <string_view>

namespace ez {

// Appends the compact text of `value` to `out`.
void append_json(std::string& out, const Json::Value& value);

// Appends `text` as a JSON string with the same escapes (for writers that stream rows
// without building a Json::Value, e.g. the NDJSON export).
void append_json_string(std::string& out, std::string_view text);

}  // namespace ez
