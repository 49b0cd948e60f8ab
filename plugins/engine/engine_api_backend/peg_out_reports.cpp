// The engine-api backend's peg-out reports: the bridge contract's RequestPegOut logs of committed
// blocks, read from the execution client and published on engine.pegouts_requested.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alys/schemas/engine.hpp"
#include "engine/embedded/bridge_call.hpp"
#include "engine/engine_api/engine_json.hpp"
#include "engine/engine_api_backend/client_json.hpp"
#include "engine/engine_api_backend/engine_api_actor_impl.hpp"

namespace alys::engine::engine_api_backend {

namespace json = boost::json;
using alys::LogLevel;

// Peg-out reports go out once per block, in height order, for every block after reported_to_ up to
// the head: a block that reached the client through a re-sync (committed while it was down) is
// reported once the sync is done, and a read that fails is tried again at the next commit or
// sync. Blocks committed before this process started were reported by the one before (the gap of
// a crash between the chain's commit and CommitPayload is in docs/engine.md).
void EngineApiActor::publish_peg_outs() {
  constexpr std::uint64_t kBlocksPerRead = 1000;
  while (head_ && reported_to_ && *reported_to_ < head_->number) {
    const std::uint64_t from = *reported_to_ + 1;
    const std::uint64_t to = std::min(head_->number, from + kBlocksPerRead - 1);
    json::object filter{
        {"fromBlock", ea::quantity_hex(from)},
        {"toBlock", ea::quantity_hex(to)},
        {"address", std::string(kBridgeContractAddress)},
        {"topics", json::array{json::string(to_0x_hex(embedded::request_peg_out_topic()))}}};
    auto logs = client_->call("eth_getLogs", json::array{filter},
                              std::chrono::milliseconds(config_.engine_api.timeout_ms));
    if (!logs.ok()) {
      context().log(LogLevel::error,
                    "cannot read the peg-out requests of blocks " + std::to_string(from) + "-" +
                        std::to_string(to) +
                        " (tried again at the next block): " + client_failed(logs.error()));
      return;
    }
    // One report per block: the logs come in block order, each naming its block.
    std::vector<std::pair<PegOutsRequested, json::array>> blocks;
    bool malformed = !logs->is_array();
    if (!malformed) {
      for (const json::value& log : logs->as_array()) {
        const json::object* fields = log.if_object();
        const json::value* number = fields ? fields->if_contains("blockNumber") : nullptr;
        const json::value* hash = fields ? fields->if_contains("blockHash") : nullptr;
        std::optional<std::uint64_t> height;
        if (number && number->is_string())
          if (auto parsed = ea::parse_quantity_u64(number->as_string()); parsed.ok())
            height = *parsed;
        auto block_hash =
            hash && hash->is_string() ? fixed_from_hex<32>(hash->as_string()) : std::nullopt;
        if (!height || !block_hash || *height < from || *height > to) {
          malformed = true;
          break;
        }
        if (blocks.empty() || blocks.back().first.height != *height)
          blocks.push_back({PegOutsRequested{*height, *block_hash, {}}, json::array{}});
        blocks.back().second.push_back(log);
      }
    }
    for (auto& [report, block_logs] : blocks) {
      if (malformed) break;
      auto requests = peg_outs_of_logs(block_logs);
      if (!requests.ok()) {
        context().log(LogLevel::error, "peg-out requests of block " +
                                           std::to_string(report.height) + ": " +
                                           requests.status().message());
        malformed = true;
        break;
      }
      report.requests = std::move(*requests);
    }
    if (malformed) {
      context().log(LogLevel::error, client_name() + ": eth_getLogs of blocks " +
                                         std::to_string(from) + "-" + std::to_string(to) +
                                         " answered logs that are not RequestPegOut events of "
                                         "numbered blocks; those blocks are not reported");
    } else {
      for (auto& [report, block_logs] : blocks)
        if (!report.requests.empty()) (void)context().publish(kPegOutsRequestedTopic, report);
    }
    reported_to_ = to;
  }
}

}  // namespace alys::engine::engine_api_backend
