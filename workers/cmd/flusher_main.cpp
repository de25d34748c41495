// ezapi-flusher: drains the shared-memory log queue into PostgreSQL (workers/pipeline/flusher/).
//
//   ezapi-flusher [--config FILE] [--check-config] [--pid-file PATH] [--version] [--help]
//
// One per host, beside the master (own systemd unit). Whoever starts first of the two
// creates the queue. SIGTERM/SIGINT: drain the queue, then exit 0. Exit 1: bad config or
// the queue cannot be attached (other layout, or another flusher holds it); 2: bad usage.
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "common/build_info.h"
#include "common/log.h"
#include "common/pid_file.h"
#include "config/config.h"
#include "flusher/flusher.h"
#include "flusher/pg_sink.h"
#include "logq/ring.h"
#include "options.h"

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

extern "C" void on_stop_signal(int) {
  g_stop.store(true, std::memory_order_relaxed);
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);  // settings are read at start; restart the unit to change them
}

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
  set.addOption(Option("pid-file", "p", "write the flusher's pid to PATH")
                    .required(false)
                    .repeatable(false)
                    .argument("PATH"));
  set.addOption(
      Option("version", "V", "print the version and exit").required(false).repeatable(false));
  set.addOption(Option("help", "h", "show this help").required(false).repeatable(false));
  return set;
}

void usage(const Poco::Util::OptionSet& set, std::ostream& out) {
  out << "usage: ezapi-flusher [--config FILE] [--check-config] [--pid-file PATH] [--version] "
         "[--help]\n"
         "Drains the EZ-API log queue (shared memory) into PostgreSQL with COPY.\n"
         "\n";
  ez::cmd::print_options(set, out);
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const Poco::Util::OptionSet set = option_set();
  std::optional<std::string> config_path;
  std::optional<std::string> pid_path;
  bool check_config = false, help = false, version = false;
  try {
    for (const auto& [name, value] :
         ez::cmd::parse_command_line(argc, argv, 1, set, false).options) {
      if (name == "config") config_path = value;
      if (name == "pid-file") pid_path = value;
      if (name == "check-config") check_config = true;
      if (name == "help") help = true;
      if (name == "version") version = true;
    }
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "ezapi-flusher: " << e.displayText() << "\n";
    usage(set, std::cerr);
    return 2;
  }
  if (help) {
    usage(set, std::cout);
    return 0;
  }
  if (version) {
    std::cout << ez::build::version_line("ezapi-flusher") << "\n";
    return 0;
  }

  ez::config::Loaded loaded;
  try {
    loaded = ez::config::load(config_path);
  } catch (const ez::config::ConfigError& e) {
    std::cerr << "ezapi-flusher: config error: " << e.what() << "\n";
    return 1;
  }
  if (check_config) {
    std::cout << ez::config::render_effective(loaded);
    return 0;
  }
  const ez::config::Settings& s = loaded.settings;
  ez::log::init("flusher", s.log_level);
  install_signals();

  try {
    std::optional<ez::PidFile> pid_file;
    if (pid_path) pid_file.emplace(*pid_path);
    ez::logq::RingOptions ro;
    ro.name = s.logq_shm_name();
    ro.capacity_entries = static_cast<uint64_t>(s.log_queue_capacity);
    ro.capacity_bytes = static_cast<uint64_t>(s.log_queue_bytes);
    ez::logq::Ring ring = ez::logq::Ring::open(ro);

    ez::flusher::PgSink sink(s.pg_dsn, hostname(), s.log_rollup_retention_days);
    ez::flusher::Options opt;
    opt.batch_size = static_cast<size_t>(s.log_batch_size);
    opt.batch_max = static_cast<size_t>(s.log_batch_max);
    opt.flush_interval = std::chrono::milliseconds{s.log_flush_ms};
    opt.retention_days = s.log_retention_days;
    opt.on_ready = [&] {
      ez::log::info("attached to log queue " + ring.name() + " (" +
                    std::to_string(ring.capacity_entries()) + " entries, " +
                    std::to_string(ring.capacity_bytes()) + " bytes), batch " +
                    std::to_string(opt.batch_size) + " (up to " + std::to_string(opt.batch_max) +
                    " with a backlog) / " + std::to_string(s.log_flush_ms) + " ms, retention " +
                    std::to_string(s.log_retention_days) + " days");
      sd_notify(0, "READY=1");
    };
    opt.on_stopping = [] { sd_notify(0, "STOPPING=1"); };
    opt.on_status = [](const std::string& status) { sd_notify(0, ("STATUS=" + status).c_str()); };
    ez::flusher::Flusher flusher(ring, sink, opt);
    const uint64_t left = flusher.run(g_stop);
    ez::log::info("stopped" + (left ? ", " + std::to_string(left) + " entries left queued"
                                    : std::string(", queue drained")));
    return 0;
  } catch (const std::exception& e) {
    ez::log::error(std::string("log queue: ") + e.what());
    return 1;
  }
}
