// alys-ctl verify-auxpow: judges an AuxPoW offline, for miners and pool operators
// (docs/auxpow.md). No node is involved.
#pragma once

#include <string>
#include <vector>

namespace alys::ctl {

// Exit codes, as alys-ctl documents them.
constexpr int kVerifyValid = 0;
constexpr int kVerifyInvalid = 1;
constexpr int kVerifyUsage = 2;

// `alys-ctl verify-auxpow --help`: the command's own options.
std::string verify_auxpow_usage();

// `args`: every word after the command; `json_output`: --json came before it. Prints `valid`,
// `invalid: <reason>`, its usage (--help, exit 0) or a usage error, and returns the exit code.
int run_verify_auxpow(const std::vector<std::string>& args, bool json_output);

}  // namespace alys::ctl
