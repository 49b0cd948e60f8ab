// A node's secret key (a federation member's signing key, a node's network identity), read from
// its own file, never from the config itself.
#pragma once

#include <filesystem>

#include "alys/domain/secp256k1.hpp"

namespace alys {

// The file holds the 32-byte secret key as 64 hex digits (optionally "0x"-prefixed, surrounding
// whitespace ignored). Throws std::runtime_error naming the file when it is missing, readable or
// writable by group or others (the fix is `chmod 600`), or does not hold a valid key.
SecretKey load_key_file(const std::filesystem::path& file);

}  // namespace alys
