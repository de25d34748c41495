// ezapi-server: the prefork FastCGI master (process/prefork/master.h) serving the API
// (server_app.h).
//
//   ezapi-server [--config FILE] [--check-config] [--pid-file PATH] [--version] [--help]
//
// --check-config prints the effective configuration (secrets masked) and exits 0;
// any config error prints one line naming the key and exits 1, with or without it.
#include <iostream>
#include <string>

#include "common/build_info.h"
#include "common/log.h"
#include "config/config.h"
#include "options.h"
#include "prefork/master.h"
#include "server_app.h"

namespace {

Poco::Util::OptionSet option_set() {
  using Poco::Util::Option;
  Poco::Util::OptionSet set;
  set.addOption(Option("config", "c",
                       "read the configuration from FILE (default: EZ_CONFIG_FILE, "
                       "./config.yaml, ./config/config.yaml)")
                    .required(false)
                    .repeatable(false)
                    .argument("FILE"));
  set.addOption(Option("check-config", "t", "print the effective configuration and exit")
                    .required(false)
                    .repeatable(false));
  set.addOption(Option("pid-file", "p", "write the master's pid to PATH")
                    .required(false)
                    .repeatable(false)
                    .argument("PATH"));
  set.addOption(
      Option("version", "V", "print the version and exit").required(false).repeatable(false));
  set.addOption(Option("help", "h", "show this help").required(false).repeatable(false));
  return set;
}

void usage(const Poco::Util::OptionSet& set, std::ostream& out) {
  out << "usage: ezapi-server [--config FILE] [--check-config] [--pid-file PATH] [--version] "
         "[--help]\n"
         "EZ-API control plane: prefork FastCGI master and workers.\n"
         "\n";
  ez::cmd::print_options(set, out);
}

}  // namespace

int main(int argc, char** argv) {
  const Poco::Util::OptionSet set = option_set();
  ez::prefork::MasterOptions master;
  bool check_config = false, help = false, version = false;
  try {
    for (const auto& [name, value] :
         ez::cmd::parse_command_line(argc, argv, 1, set, false).options) {
      if (name == "config") master.config_path = value;
      if (name == "check-config") check_config = true;
      if (name == "pid-file") master.pid_file = value;
      if (name == "help") help = true;
      if (name == "version") version = true;
    }
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "ezapi-server: " << e.displayText() << "\n";
    usage(set, std::cerr);
    return ez::prefork::kMasterUsage;
  }
  if (help) {
    usage(set, std::cout);
    return ez::prefork::kMasterOk;
  }
  if (version) {
    std::cout << ez::build::version_line("ezapi-server") << "\n";
    return ez::prefork::kMasterOk;
  }

  ez::config::Loaded loaded;
  try {
    loaded = ez::config::load(master.config_path);
  } catch (const ez::config::ConfigError& e) {
    std::cerr << "ezapi-server: config error: " << e.what() << "\n";
    return ez::prefork::kMasterStartFailed;
  }
  if (check_config) {
    std::cout << ez::config::render_effective(loaded);
    return ez::prefork::kMasterOk;
  }

  ez::log::init("master", loaded.settings.log_level);
  ez::app::ServerApp app;
  return ez::prefork::run_master(std::move(loaded), master, app);
}
