#include "engine/engine_api_backend/mint_withdrawals.hpp"

#include <cstdint>
#include <limits>

#include "alys/domain/hash.hpp"
#include "alys/domain/wei.hpp"

namespace alys::engine::engine_api_backend {

std::variant<std::vector<Withdrawal>, std::string> withdrawals_of(const std::vector<Mint>& mints) {
  std::vector<Withdrawal> out;
  out.reserve(mints.size());
  for (std::size_t i = 0; i < mints.size(); ++i) {
    const Mint& mint = mints[i];
    const std::optional<Wei> wei = wei_from_be(mint.amount_wei);
    const std::string what = "mint " + std::to_string(i) + " to " + to_0x_hex(mint.to) + " of " +
                             (wei ? wei_to_decimal(*wei) : to_0x_hex(mint.amount_wei)) + " wei";
    if (!wei) return what + " is past 2^128 wei";
    if (*wei % kWeiPerGwei != 0)
      return what + " is not a whole number of gwei: the Engine API credits withdrawals in gwei";
    const Wei gwei = *wei / kWeiPerGwei;
    if (gwei > std::numeric_limits<std::uint64_t>::max())
      return what + " is more than a withdrawal carries (2^64-1 gwei)";
    out.push_back(Withdrawal{i, 0, mint.to, static_cast<std::uint64_t>(gwei)});
  }
  return out;
}

std::string describe(const std::vector<Withdrawal>& withdrawals) {
  std::string out = "[";
  for (const Withdrawal& w : withdrawals) {
    if (out.size() > 1) out += ", ";
    out += "index " + std::to_string(w.index) + ": " + to_0x_hex(w.address) + " " +
           std::to_string(w.amount_gwei) + " gwei";
    if (w.validator_index != 0) out += " (validator " + std::to_string(w.validator_index) + ")";
  }
  return out + "]";
}

}  // namespace alys::engine::engine_api_backend
