// alys-ctl keygen: a fresh node key (a federation member's or an observer's network key) for a
// devnet or a new member. No node is involved.
#pragma once

#include <string>
#include <vector>

namespace alys::ctl {

// `args`: every word after the command; `json_output`: --json came before it. Writes a fresh
// secp256k1 secret key as 64 hex digits and a newline to --out FILE, created with mode 0600 and
// never over an existing file (the file appears whole or not at all), and prints its BIP340 x-only
// public key (64 hex digits; with --json `{"public_key": ..., "key_file": ...}`). Returns 0, 1 when
// the file cannot be written (it exists, or the directory is not writable), 2 on a usage error.
int run_keygen(const std::vector<std::string>& args, bool json_output);

}  // namespace alys::ctl
