// What was built: the CMake project version and the git commit of the source tree at
// configure time ("unknown" when it was not a git checkout, e.g. a Docker build
// context without .git). Shown by --version and by ezapi_build_info on /metrics.
#pragma once

#include <string>
#include <string_view>

namespace ez::build {

[[nodiscard]] std::string_view version();
[[nodiscard]] std::string_view commit();
// "ezapi-server 0.1.0 (commit 1a2b3c4d5e6f)": the --version line of `program`.
[[nodiscard]] std::string version_line(std::string_view program);
// The ezapi_build_info{version,commit} 1 family of GET /metrics.
void append_build_info_metrics(std::string& out);

}  // namespace ez::build
