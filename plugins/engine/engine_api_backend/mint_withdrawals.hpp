// Mints (peg-ins, and later fee payouts) as the Engine API's withdrawals: the one credit an
// execution client applies outside transactions. Geth credits amount_gwei x 10^9 wei and checks no
// index, so the mapping is ours to fix, and every member must use the same one for a payload to
// re-execute: withdrawal i is mint i, validator index 0, the amount in gwei. A mint that is not a
// whole number of gwei has no withdrawal and is refused (a peg-in of s sats is s x 10^10 wei:
// always whole). Pure: safe on any thread.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "alys/domain/block.hpp"

namespace alys::engine::engine_api_backend {

inline constexpr unsigned long long kWeiPerGwei = 1'000'000'000ULL;

// The withdrawals for `mints`, in their order, or the reason one cannot be one (not a multiple of
// 10^9 wei, or more than 2^64-1 gwei), naming the mint's position, address and amount.
std::variant<std::vector<Withdrawal>, std::string> withdrawals_of(const std::vector<Mint>& mints);

// "[index 0: 0xADDRESS 10 gwei, ...]" for messages that compare two lists.
std::string describe(const std::vector<Withdrawal>& withdrawals);

}  // namespace alys::engine::engine_api_backend
