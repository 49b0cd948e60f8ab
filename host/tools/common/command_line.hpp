// The one command-line parser of alysd, alys-ctl and alys-miner: Boost.Program_options, with the
// failures turned into messages that name the option, the way each program's usage errors read.
#pragma once

#include <boost/program_options.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "alys/status.hpp"

namespace alys::tools {

namespace program_options = boost::program_options;

// The width of every program's --help text.
inline constexpr unsigned kHelpWidth = 100;

// The words of argv after the program's name.
std::vector<std::string> arguments_of(int argc, const char* const* argv);

// Parses `args` against `options` and, for the words that are no option, `positional`. Long
// options only by their full name (no guessing from a prefix); "--" ends the options. Guarantees:
// a failure is ALYS_ERR_INVALID with a message naming the bad option or word:
//   unknown <noun> '--bogus'     (noun: "option" or "argument", as the program always said)
//   --admin needs a value
//   --once takes no value
//   --config is given twice
//   unknown <noun> 'word'        (a word beyond what `positional` takes)
// Thread-safe.
Result<program_options::variables_map> parse_command_line(
    const std::vector<std::string>& args, const program_options::options_description& options,
    const program_options::positional_options_description& positional,
    std::string_view unknown_noun = "option");

// The options as --help lists them: one per line, descriptions aligned, kHelpWidth wide.
std::string describe_options(const program_options::options_description& options);

}  // namespace alys::tools
