#include "host/tools/common/command_line.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace alys::tools;
using alys::Result;
namespace po = boost::program_options;

namespace {

struct Fixture {
  Fixture() {
    options.add_options()                                                                  //
        ("admin", po::value<std::string>()->value_name("HOST:PORT"), "the admin address")  //
        ("json", po::bool_switch(), "print JSON")                                          //
        ("help,h", po::bool_switch(), "this text");
    positional.add("command", 1).add("args", -1);
    with_command.add(options).add_options()    //
        ("command", po::value<std::string>())  //
        ("args", po::value<std::vector<std::string>>());
  }

  po::options_description options{"options", kHelpWidth};
  po::options_description with_command;
  po::positional_options_description positional;
  po::positional_options_description none;
};

std::string failure(const Result<po::variables_map>& parsed) {
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == ALYS_ERR_INVALID);
  return parsed.status().message();
}

}  // namespace

TEST_CASE("options anywhere among the words; -- ends the options", "[command_line]") {
  Fixture f;
  auto parsed = parse_command_line({"restart", "--json", "echo", "--admin", "[::1]:1"},
                                   f.with_command, f.positional);
  REQUIRE(parsed.ok());
  CHECK((*parsed)["command"].as<std::string>() == "restart");
  CHECK((*parsed)["args"].as<std::vector<std::string>>() == std::vector<std::string>{"echo"});
  CHECK((*parsed)["json"].as<bool>());
  CHECK((*parsed)["admin"].as<std::string>() == "[::1]:1");

  auto after_dashes = parse_command_line({"call", "--", "--json"}, f.with_command, f.positional);
  REQUIRE(after_dashes.ok());
  CHECK((*after_dashes)["args"].as<std::vector<std::string>>() ==
        std::vector<std::string>{"--json"});
  CHECK_FALSE((*after_dashes)["json"].as<bool>());

  auto equals = parse_command_line({"--admin=h:1", "-h"}, f.options, f.none);
  REQUIRE(equals.ok());
  CHECK((*equals)["admin"].as<std::string>() == "h:1");
  CHECK((*equals)["help"].as<bool>());
}

TEST_CASE("usage errors name the option", "[command_line]") {
  Fixture f;
  CHECK(failure(parse_command_line({"--bogus"}, f.options, f.none)) == "unknown option '--bogus'");
  CHECK(failure(parse_command_line({"--bogus"}, f.options, f.none, "argument")) ==
        "unknown argument '--bogus'");
  CHECK(failure(parse_command_line({"-x"}, f.options, f.none)) == "unknown option '-x'");
  CHECK(failure(parse_command_line({"--admin"}, f.options, f.none)) == "--admin needs a value");
  CHECK(failure(parse_command_line({"--json=yes"}, f.options, f.none)) == "--json takes no value");
  CHECK(failure(parse_command_line({"--admin", "a:1", "--admin", "b:2"}, f.options, f.none)) ==
        "--admin is given twice");
  // A prefix is not guessed to mean the option it starts.
  CHECK(failure(parse_command_line({"--adm", "a:1"}, f.options, f.none)) ==
        "unknown option '--adm'");
  // A word no positional takes is named too.
  CHECK(failure(parse_command_line({"--json", "stray", "more"}, f.options, f.none, "argument")) ==
        "unknown argument 'stray'");
}

TEST_CASE("--help lists every option with its value name", "[command_line]") {
  Fixture f;
  const std::string help = describe_options(f.options);
  CHECK(help.find("--admin HOST:PORT") != std::string::npos);
  CHECK(help.find("the admin address") != std::string::npos);
  CHECK(help.find("-h [ --help ]") != std::string::npos);

  // A description too long for one line wraps within kHelpWidth, without trailing spaces.
  po::options_description wide("options", kHelpWidth);
  wide.add_options()("long", po::bool_switch(),
                     std::string(30, 'w').append(" ").append(std::string(70, 'x')).c_str());
  const std::string wrapped = describe_options(wide);
  CHECK(wrapped.find(" \n") == std::string::npos);
  std::istringstream lines(wrapped);
  for (std::string line; std::getline(lines, line);) CHECK(line.size() <= kHelpWidth);
}
