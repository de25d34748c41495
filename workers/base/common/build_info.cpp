#include "common/build_info.h"

#include "common/prometheus.h"

// Set for this file only (CMakeLists.txt), so a new commit recompiles one file.
#ifndef EZ_BUILD_VERSION
#define EZ_BUILD_VERSION "unknown"
#endif
#ifndef EZ_BUILD_COMMIT
#define EZ_BUILD_COMMIT "unknown"
#endif

namespace ez::build {

std::string_view version() {
  return EZ_BUILD_VERSION;
}

std::string_view commit() {
  return EZ_BUILD_COMMIT;
}

std::string version_line(std::string_view program) {
  std::string line(program);
  line += ' ';
  line += version();
  line += " (commit ";
  line += commit();
  line += ')';
  return line;
}

void append_build_info_metrics(std::string& out) {
  using namespace ez::prometheus;
  append_family(out, "ezapi_build_info", "gauge",
                "Always 1; the labels name the version and git commit of this build.");
  append_sample(out, "ezapi_build_info",
                "version=\"" + escape_label(std::string(version())) + "\",commit=\"" +
                    escape_label(std::string(commit())) + "\"",
                "1");
}

}  // namespace ez::build
