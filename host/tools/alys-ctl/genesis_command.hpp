// alys-ctl genesis: the genesis file of the execution client a node drives (`geth init` reads
// it), generated from the node's own config so that both agree on chain id, genesis time, gas
// limit, base fee and allocations. No node is involved.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace alys::ctl {

// `args`: every word after the command; `config`: a --config given before it (the command's own
// --config wins). Reads [chain] with the chain plugin's parser and [engine]'s chain_id,
// base_fee_wei and block_gas_limit with the engine's (the node checks the table's other keys),
// adds each `--predeploy ADDRESS=FILE` (FILE: runtime bytecode as hex, as solc's --bin-runtime
// writes it), and writes the genesis JSON to --out FILE (replaced whole) or standard output.
// Returns 0, 1 when the config's values are refused or a file cannot be read or written, 2 on a
// usage error.
int run_genesis(const std::vector<std::string>& args,
                const std::optional<std::filesystem::path>& config);

}  // namespace alys::ctl
