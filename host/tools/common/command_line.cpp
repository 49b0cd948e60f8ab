#include "host/tools/common/command_line.hpp"

#include <limits>
#include <sstream>

namespace alys::tools {

namespace po = boost::program_options;

namespace {

// Takes the words `positional` leaves over, so that they are named in the error.
constexpr const char* kLeftOver = "alys-left-over-words";

}  // namespace

std::vector<std::string> arguments_of(int argc, const char* const* argv) {
  return argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>();
}

Result<po::variables_map> parse_command_line(const std::vector<std::string>& args,
                                             const po::options_description& options,
                                             const po::positional_options_description& positional,
                                             std::string_view unknown_noun) {
  const std::string noun(unknown_noun);
  po::options_description all;
  all.add(options);
  po::positional_options_description words = positional;
  const bool bounded = positional.max_total_count() != std::numeric_limits<unsigned>::max();
  if (bounded) {
    all.add_options()(kLeftOver, po::value<std::vector<std::string>>());
    words.add(kLeftOver, -1);
  }
  po::variables_map values;
  try {
    const int style = po::command_line_style::unix_style ^ po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(words).style(style).run(),
              values);
    po::notify(values);
  } catch (const po::unknown_option& e) {
    return Status::Invalid("unknown " + noun + " '" + e.get_option_name() + "'");
  } catch (const po::invalid_command_line_syntax& e) {
    switch (e.kind()) {
      case po::invalid_syntax::missing_parameter:
        return Status::Invalid(e.get_option_name() + " needs a value");
      case po::invalid_syntax::extra_parameter:
        return Status::Invalid(e.get_option_name() + " takes no value");
      default:
        return Status::Invalid(e.what());
    }
  } catch (const po::multiple_occurrences& e) {
    return Status::Invalid(e.get_option_name() + " is given twice");
  } catch (const po::error& e) {
    return Status::Invalid(e.what());
  }
  if (bounded && values.count(kLeftOver))
    return Status::Invalid("unknown " + noun + " '" +
                           values[kLeftOver].as<std::vector<std::string>>().front() + "'");
  return values;
}

std::string describe_options(const po::options_description& options) {
  std::ostringstream printed;
  printed << options;
  // Boost leaves a space at the end of a wrapped line.
  std::istringstream lines(printed.str());
  std::string text;
  for (std::string line; std::getline(lines, line);) {
    line.erase(line.find_last_not_of(' ') + 1);
    text += line + "\n";
  }
  return text;
}

}  // namespace alys::tools
