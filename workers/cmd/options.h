// Command lines of the binaries in cmd/: one way to read them, Poco::Util options in unix
// style (--name=VALUE, --name VALUE, -xVALUE, -x VALUE; a long name may be shortened while it
// stays unambiguous), with the option part of --help printed from the same OptionSet, so the
// two cannot disagree. Header-only: each binary is one translation unit of cmd/.
#pragma once

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionProcessor.h>
#include <Poco/Util/OptionSet.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace ez::cmd {

struct CommandLine {
  // Options in command-line order: full name and value ("" for a flag).
  std::vector<std::pair<std::string, std::string>> options;
  // Arguments that are not options, with their index in argv.
  std::vector<std::pair<int, std::string>> positional;
};

// Reads argv[first..]. Throws Poco::Util::OptionException on an unknown, ambiguous or repeated
// (unless repeatable) option, a missing value, or -- when allow_positional is false -- any
// argument that is not an option.
[[nodiscard]] inline CommandLine parse_command_line(int argc, char** argv, int first,
                                                    const Poco::Util::OptionSet& set,
                                                    bool allow_positional) {
  CommandLine cl;
  Poco::Util::OptionProcessor processor(set);
  processor.setUnixStyle(true);
  for (int i = first; i < argc; ++i) {
    std::string name, value;
    if (!processor.process(argv[i], name, value)) {
      if (!allow_positional) throw Poco::Util::UnexpectedArgumentException(argv[i]);
      cl.positional.emplace_back(i, argv[i]);
      continue;
    }
    if (name.empty()) continue;  // "--config" whose FILE is the next argument
    cl.options.emplace_back(std::move(name), std::move(value));
  }
  processor.checkRequired();  // also: a last option still waiting for its value
  return cl;
}

// The options of `set`, one per line with its description, as --help shows them.
inline void print_options(const Poco::Util::OptionSet& set, std::ostream& out) {
  // formatOptions is protected: the rest of HelpFormatter's page (usage, header) is each
  // binary's own text.
  struct OptionsOnly : Poco::Util::HelpFormatter {
    using Poco::Util::HelpFormatter::HelpFormatter;
    void print(std::ostream& o) const { formatOptions(o); }
  };
  OptionsOnly help(set);
  help.setUnixStyle(true);
  help.setAutoIndent();
  help.print(out);
}

}  // namespace ez::cmd
