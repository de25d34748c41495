// ezapi-server: the prefork FastCGI master (process/prefork/master.h) serving the API
// (server_app.h).
//
//   ezapi-server [--config FILE] [--check-config] [--pid-file PATH] [--version] [--help]
//
// --check-config prints the effective configuration (secrets masked) and exits 0;
// any config error prints one line naming the key and exits 1, with or without it.
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include <iostream>
#include <optional>
#include <string>

#include "common/build_info.h"
#include "common/log.h"
#include "config/config.h"
#include "prefork/master.h"
#include "server_app.h"

namespace {

struct CommandLine {
  ez::prefork::MasterOptions master;
  bool check_config = false;
  bool help = false;
  bool version = false;
};

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
  Poco::Util::HelpFormatter help(set);
  help.setCommand("ezapi-server");
  help.setUsage("[--config FILE] [--check-config] [--pid-file PATH] [--version] [--help]");
  help.setHeader("EZ-API control plane: prefork FastCGI master and workers.");
  help.setUnixStyle(true);
  help.format(out);
}

// Throws Poco::Util::OptionException on a bad command line.
CommandLine parse(int argc, char** argv, const Poco::Util::OptionSet& set) {
  CommandLine cl;
  Poco::Util::OptionProcessor processor(set);
  processor.setUnixStyle(true);
  for (int i = 1; i < argc; ++i) {
    std::string name, value;
    if (!processor.process(argv[i], name, value))
      throw Poco::Util::UnexpectedArgumentException(argv[i]);
    if (name.empty()) continue;  // "--config" whose FILE is the next argument
    if (name == "config") cl.master.config_path = value;
    if (name == "check-config") cl.check_config = true;
    if (name == "pid-file") cl.master.pid_file = value;
    if (name == "help") cl.help = true;
    if (name == "version") cl.version = true;
  }
  processor.checkRequired();
  return cl;
}

}  // namespace

int main(int argc, char** argv) {
  const Poco::Util::OptionSet set = option_set();
  CommandLine cl;
  try {
    cl = parse(argc, argv, set);
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "ezapi-server: " << e.displayText() << "\n";
    usage(set, std::cerr);
    return ez::prefork::kMasterUsage;
  }
  if (cl.help) {
    usage(set, std::cout);
    return ez::prefork::kMasterOk;
  }
  if (cl.version) {
    std::cout << ez::build::version_line("ezapi-server") << "\n";
    return ez::prefork::kMasterOk;
  }

  ez::config::Loaded loaded;
  try {
    loaded = ez::config::load(cl.master.config_path);
  } catch (const ez::config::ConfigError& e) {
    std::cerr << "ezapi-server: config error: " << e.what() << "\n";
    return ez::prefork::kMasterStartFailed;
  }
  if (cl.check_config) {
    std::cout << ez::config::render_effective(loaded);
    return ez::prefork::kMasterOk;
  }

  ez::log::init("master", loaded.settings.log_level);
  ez::app::ServerApp app;
  return ez::prefork::run_master(std::move(loaded), cl.master, app);
}
