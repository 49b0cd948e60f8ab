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
constexpr int kVerifyHelp = -1;  // --help was asked for: the caller prints the usage

// `args`: every word after the command. Prints `valid`, `invalid: <reason>`, or a usage error.
int run_verify_auxpow(const std::vector<std::string>& args, bool json_output);

}  // namespace alys::ctl
