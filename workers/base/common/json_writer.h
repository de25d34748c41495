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

namespace ez {

// Appends the compact text of `value` to `out`.
void append_json(std::string& out, const Json::Value& value);

}  // namespace ez
