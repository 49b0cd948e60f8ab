// Federation benchmarks (issue 13): three alysd members on loopback (threshold 2) and an observer,
// real processes, the network plugin between them. Prints `BENCH <name> <value> <unit>`.
// A Catch2 program (tests/support/federation.hpp speaks Catch2) whose one test case is hidden, so
// that ctest never runs it: tests/bench/federation_bench.sh does.
//
// 1. Latency: `--slots` slots of `--slot-ms` while a client sends `--txs` signed transfers per slot
//    (one JSON-RPC batch to node1, mid-slot; the gossip carries them to each slot's author). Per
//    block: slot start -> imported on all three = the largest of the three nodes' own "+X ms after
//    slot start" (one machine, one clock). p50/p99/max, over blocks with transfers.
// 2. Wire: network_bytes_sent_total and network_messages_sent_total{type=...} of the three members
//    over phase 1 and over the empty blocks of phase 3: bytes per block, messages per block; the
//    size of one approval record on the wire (frame + record header + tag).
// 3. Observer sync: the members produce `--sync-blocks` empty blocks at `--sync-slot-ms`, then an
//    observer starts and syncs them: blocks/s from its admin API answering to reaching the head.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "alys/domain/eth_transaction.hpp"
#include "bench_report.hpp"
#include "federation.hpp"
#include "transfer_batch.hpp"
#include "wire/messages.hpp"
#include "wire/secure_channel.hpp"

using namespace alys;
using alys::testing::Federation;
using alys::testing::federation_of;
using alys::testing::FederationOptions;
using namespace std::chrono_literals;

namespace {

using alys::bench_report::bench;
using alys::bench_report::percentile;
using alys::bench_report::unix_ms;

const std::string kDevKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
constexpr std::uint64_t kChainId = 263634;

std::uint64_t option(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::stoull(value) : fallback;
}

struct Imported {
  std::uint64_t txs = 0;
  std::uint64_t slot = 0;
  std::map<std::size_t, double> delay_ms;  // per node
};

// Every "produced/imported block H ... txs=T slot=S +X ms after slot start" of the members' logs.
std::map<std::uint64_t, Imported> imports(Federation& federation) {
  static const std::regex line(
      R"((produced|imported) block (\d+) \S+ txs=(\d+) slot=(\d+) \+(\d+) ms after slot start)");
  std::map<std::uint64_t, Imported> out;
  for (std::size_t i = 0; i < federation.members(); ++i) {
    const std::string text = federation.log_text(i);
    for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
      Imported& entry = out[std::stoull((*it)[2])];
      entry.txs = std::stoull((*it)[3]);
      entry.slot = std::stoull((*it)[4]);
      entry.delay_ms[i] = std::stod((*it)[5]);
    }
  }
  return out;
}

struct WireCounters {
  double bytes = 0;
  double approvals = 0;
  double proposals = 0;
  double messages = 0;
};

WireCounters wire_counters(Federation& federation) {
  WireCounters total;
  for (std::size_t i = 0; i < federation.members(); ++i) {
    total.bytes += federation.plugin_metric(i, "network_bytes_sent_total");
    total.approvals +=
        federation.plugin_metric(i, "network_messages_sent_total", "type=\"approval\"");
    total.proposals +=
        federation.plugin_metric(i, "network_messages_sent_total", "type=\"proposal\"");
    total.messages += federation.plugin_metric(i, "network_messages_sent_total");
  }
  return total;
}

}  // namespace

TEST_CASE("federation benchmark", "[.bench]") {
  const std::uint64_t slots = option("ALYS_BENCH_SLOTS", 200);
  const std::uint64_t slot_ms = option("ALYS_BENCH_SLOT_MS", 500);
  const std::uint64_t txs = option("ALYS_BENCH_TXS", 100);
  const std::uint64_t sync_blocks = option("ALYS_BENCH_SYNC_BLOCKS", 10'000);
  const std::uint64_t sync_slot_ms = option("ALYS_BENCH_SYNC_SLOT_MS", 100);

  // One approval on the wire: its frame sealed in one record.
  chain::ApproveBlock approval;
  auto frame = network::wire::encode_frame(approval);
  REQUIRE(frame);
  bench("federation_approval_record_bytes",
        static_cast<double>(frame->size() + network::wire::kRecordHeaderSize +
                            network::wire::kRecordTagSize),
        "bytes");

  {
    FederationOptions options = federation_of(3, slot_ms);
    // One wallet sends every transfer: lift the pool's per-sender limits (16 executable).
    options.engine_extra =
        "mempool_max_per_sender = 1000000\nmempool_max_future_per_sender = 1000000\n";
    Federation federation(options);
    federation.start_all();
    REQUIRE(federation.wait_heights({0, 1, 2}, 3, 60s));
    const SecretKey key = *SecretKey::from_bytes(*fixed_from_hex<32>(kDevKey));
    const WireCounters before = wire_counters(federation);
    const std::uint64_t first_height = federation.height(0);
    std::fprintf(stderr, "bench: %llu slots of %llu ms, %llu transfers each\n",
                 static_cast<unsigned long long>(slots), static_cast<unsigned long long>(slot_ms),
                 static_cast<unsigned long long>(txs));
    std::uint64_t nonce = 0;
    for (std::uint64_t k = 0; k < slots; ++k) {
      const std::string batch =
          alys::testing::transfer_batch(kChainId, key, nonce, txs);  // signed before its slot
      const std::uint64_t now = unix_ms();
      const std::uint64_t mid = (now / slot_ms + 1) * slot_ms + slot_ms / 2;
      std::this_thread::sleep_for(std::chrono::milliseconds(mid - now));
      auto reply = alys::testing::http_request("127.0.0.1", federation.node(0).admin_port, "POST",
                                               "/", batch);
      REQUIRE(reply);
      nonce += txs;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(4 * slot_ms));
    const std::uint64_t last_height = federation.height(0);
    const WireCounters after = wire_counters(federation);

    std::vector<double> with_transfers;
    std::vector<double> all_blocks;
    std::uint64_t carried = 0;
    for (const auto& [height, entry] : imports(federation)) {
      if (height <= first_height || height > last_height || entry.delay_ms.size() < 3) continue;
      double slowest = 0;
      for (const auto& [node, ms] : entry.delay_ms) slowest = std::max(slowest, ms);
      all_blocks.push_back(slowest);
      if (entry.txs > 0) {
        with_transfers.push_back(slowest);
        carried += entry.txs;
      }
    }
    const double blocks = static_cast<double>(last_height - first_height);
    bench("federation_blocks", blocks, "blocks");
    bench("federation_blocks_with_transfers", static_cast<double>(with_transfers.size()), "blocks");
    bench("federation_transfers_per_block",
          with_transfers.empty()
              ? 0
              : static_cast<double>(carried) / static_cast<double>(with_transfers.size()),
          "tx");
    bench("federation_imported_on_all_p50_ms", percentile(with_transfers, 0.50), "ms");
    bench("federation_imported_on_all_p99_ms", percentile(with_transfers, 0.99), "ms");
    bench("federation_imported_on_all_max_ms", percentile(with_transfers, 1.0), "ms");
    bench("federation_imported_on_all_p50_ms_all_blocks", percentile(all_blocks, 0.50), "ms");
    bench("federation_imported_on_all_p99_ms_all_blocks", percentile(all_blocks, 0.99), "ms");
    if (blocks > 0) {
      bench("federation_wire_bytes_per_block_100tx", (after.bytes - before.bytes) / blocks,
            "bytes");
      bench("federation_approvals_sent_per_block", (after.approvals - before.approvals) / blocks,
            "messages");
      bench("federation_messages_sent_per_block_100tx", (after.messages - before.messages) / blocks,
            "messages");
    }
    federation.finished();
  }

  {
    Federation federation(federation_of(3, sync_slot_ms, 1));
    for (std::size_t i = 0; i < 3; ++i) federation.start(i);
    for (std::size_t i = 0; i < 3; ++i) federation.wait_ready(i);
    REQUIRE(federation.wait_heights({0, 1, 2}, 3, 60s));
    const WireCounters before = wire_counters(federation);
    const std::uint64_t from = federation.height(0);
    std::fprintf(stderr, "bench: producing %llu empty blocks at %llu ms slots\n",
                 static_cast<unsigned long long>(sync_blocks),
                 static_cast<unsigned long long>(sync_slot_ms));
    const auto timeout = std::chrono::milliseconds(sync_blocks * sync_slot_ms * 2 + 60'000);
    REQUIRE(federation.wait_heights({0, 1, 2}, sync_blocks, timeout));
    const WireCounters after = wire_counters(federation);
    const double produced = static_cast<double>(federation.height(0) - from);
    bench("federation_wire_bytes_per_empty_block", (after.bytes - before.bytes) / produced,
          "bytes");
    bench("federation_approvals_sent_per_empty_block",
          (after.approvals - before.approvals) / produced, "messages");

    federation.start(3);
    federation.wait_ready(3);
    const auto started = std::chrono::steady_clock::now();
    const std::uint64_t target = federation.height(0);
    const std::uint64_t observer_from = federation.height(3);
    REQUIRE(federation.wait_heights({3}, target, std::chrono::minutes(30)));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    bench("federation_observer_synced_blocks", static_cast<double>(target - observer_from),
          "blocks");
    bench("federation_observer_sync_blocks_per_s",
          static_cast<double>(target - observer_from) / seconds, "blocks/s");
    federation.finished();
  }
}
