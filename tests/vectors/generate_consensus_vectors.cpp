// Prints tests/data/consensus_vectors_format2.json: the consensus encodings of a block of format 2
// (alys.domain.Block/2) with every field set, as the code of this commit computes them. It was run
// ONCE to create that file and must not be run to update it: the vectors exist to catch the code
// changing its encodings (a fork), so they are never regenerated to make a test pass. It writes to
// standard output only, never to the repository.
//
// tests/data/consensus_vectors.json came from this generator at an earlier commit (format 1, named
// in that file); it stays as it is: its state and transactions roots are still checked, its block
// vectors are history. This generator reads that file for the roots, which the block commits to.
//
// usage: alys_generate_consensus_vectors COMMIT > consensus_vectors_format2.json
//   COMMIT: the commit whose code is running (git rev-parse HEAD of a clean tree); it is recorded
//   in the output so that a reader can rebuild exactly this generator.
#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/keccak.hpp"
#include "alys/domain/secp256k1.hpp"
#include "alys/domain/wei.hpp"
#include "consensus_vectors.hpp"
#include "engine/embedded/ledger.hpp"
#include "engine/embedded/payload_executor.hpp"

namespace {

namespace json = boost::json;
using namespace alys;
using namespace alys::testing::vectors;

template <std::size_t N>
std::string repeated_hex(std::uint8_t byte) {
  std::array<std::uint8_t, N> bytes{};
  bytes.fill(byte);
  return to_hex(bytes);
}

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "alys_generate_consensus_vectors: " << why << "\n";
  std::exit(1);
}

// Two real signed transactions on chain 263634 (from tests/data/ethers_signed_transactions.json).
const std::vector<std::string_view> kRawTransactions = {
    "02f876830405d280843b9aca008506fc23ac00825208943535353535353535353535353535353535353535880de0"
    "b6b3a764000080c080a0b875ec69f6f093d039b1d33ee51ee51a126b729bde28f4eefeb3a000b5d4c98fa0699a4290"
    "6d253a2ee209da1933a12ea4276548056eea9647694ef9824a32d6f7",
    "02f887830405d282012c8007832dc6c08080b36080604052348015600f57600080fd5b50603f80601d6000396000f3"
    "fe6080604052600080fdfea164736f6c6343000819000ac001a0732ec799f04c6c74c5b6409680b64b287b4e28e7c8"
    "91de0a7273e330773826baa0716a252f91d979879427e770e8f204e46b8844df86cdca636744cc4ac9377a01",
};

// The state and transactions roots stay pinned in tests/data/consensus_vectors.json (the block
// format does not touch them); the block here commits to those same roots, recomputed by this
// commit's code from that file's inputs, so that the generator refuses to run if they drifted.
struct PinnedRoots {
  std::string state_root;
  std::string transactions_root;
};

PinnedRoots pinned_roots() {
  const json::object file = load_consensus_vectors();
  const json::object& state = object_field(file, "state_root");
  engine::embedded::Ledger ledger;
  for (const json::value& value : array_field(state, "accounts")) {
    const json::object& account = value.as_object();
    std::optional<Wei> balance = wei_parse(string_field(account, "balance_wei"));
    if (!balance) fail("bad balance");
    ledger.set(fixed_field<20>(account, "address"),
               engine::embedded::Account{u64_field(account, "nonce"), *balance});
  }
  PinnedRoots roots{string_field(state, "state_root"),
                    string_field(object_field(file, "transactions_root"), "transactions_root")};
  if (to_hex(ledger.state_root()) != roots.state_root)
    fail("the ledger's state root differs from the one pinned in consensus_vectors.json");
  std::vector<Hash32> hashes;
  for (std::string_view raw : kRawTransactions) hashes.push_back(keccak256(*from_hex(raw)));
  if (to_hex(engine::embedded::transactions_root(hashes)) != roots.transactions_root)
    fail("the transactions root differs from the one pinned in consensus_vectors.json");
  return roots;
}

// A logs bloom with bytes set at both ends and between, each to a different value, so that a bloom
// encoded shifted, reversed or cut short shows. It is no log's bloom: only its encoding is pinned.
std::string logs_bloom() {
  std::array<std::uint8_t, 256> bloom{};
  bloom[0] = 0x80;
  bloom[1] = 0x01;
  bloom[127] = 0x40;
  bloom[200] = 0x12;
  bloom[255] = 0x04;
  return to_hex(bloom);
}

// Every field set, none to its default, so that a change to any field's encoding shows; fields of
// one type in one record hold different values, so that swapping two of them shows too. The fields
// of format 1 hold the values they held in consensus_vectors.json.
json::object block_fields(const PinnedRoots& roots) {
  json::array transactions;
  for (std::string_view raw : kRawTransactions) transactions.emplace_back(raw);
  json::object payload{
      {"parent_hash", repeated_hex<32>(0x22)},
      {"number", 8},
      {"timestamp_s", 1'767'225'622},
      {"fee_recipient", "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"},
      {"state_root", roots.state_root},
      {"transactions_root", roots.transactions_root},
      {"gas_limit", 30'000'000},
      {"gas_used", 42'000},
      {"base_fee_per_gas", to_hex(wei_to_be32(1'000'000'007))},
      {"transactions", transactions},
      {"block_hash", repeated_hex<32>(0)},  // set to payload_hash below
      {"receipts_root", repeated_hex<32>(0xc3)},
      {"logs_bloom", logs_bloom()},
      {"prev_randao", repeated_hex<32>(0xd4)},
      {"extra_data", "616c797332"},  // "alys2"
      {"withdrawals", json::array{json::object{{"index", 17},
                                               {"validator_index", 3},
                                               {"address", repeated_hex<20>(0xcc)},
                                               {"amount_gwei", 1'500'000'000}},
                                  json::object{{"index", 18},
                                               {"validator_index", 5},
                                               {"address", repeated_hex<20>(0xdd)},
                                               {"amount_gwei", 42'000'000'007}}}},
  };
  payload["block_hash"] = to_hex(payload_hash(payload_from_json(payload)));

  AuxPow auxpow = make_auxpow(*fixed_from_hex<32>(repeated_hex<32>(0x5c)), 1953,
                              AuxPowCommitment::coinbase_script);
  if (!mine_auxpow(auxpow, 0x207fffff, 1000)) fail("mining the AuxPoW at bits 207fffff failed");

  return json::object{
      {"height", 8},
      {"parent_hash", repeated_hex<32>(0x11)},
      {"slot", 11},
      {"timestamp_ms", 1'767'225'622'000},
      {"author_index", 1},
      {"payload", payload},
      {"pegins", json::array{json::object{{"bitcoin_txid", repeated_hex<32>(0x77)},
                                          {"vout", 3},
                                          {"to", repeated_hex<20>(0x88)},
                                          {"amount_sats", 150'000'000}}}},
      {"pegout_proposal",
       json::array{json::object{{"burn_tx_hash", repeated_hex<32>(0x99)},
                                {"bitcoin_script_pubkey_hex", "0014" + repeated_hex<20>(0xaa)},
                                {"amount_sats", 99'000'000}}}},
      {"finalized_pegouts", json::array{repeated_hex<32>(0xab)}},
      {"auxpow", json::array{json::object{{"range_start", 5},
                                          {"range_end", 7},
                                          {"bits", 0x207fffff},
                                          {"chain_id", 1953},
                                          {"height", 8},
                                          {"auxpow", to_hex(auxpow.serialize())},
                                          {"fee_recipient", repeated_hex<20>(0xbb)}}}},
  };
}

void pretty_print(std::ostream& out, const json::value& value, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  const std::string inner(static_cast<std::size_t>(indent + 2), ' ');
  if (value.is_object() && !value.get_object().empty()) {
    out << "{\n";
    bool first = true;
    for (const auto& member : value.get_object()) {
      out << (first ? "" : ",\n") << inner << json::serialize(member.key()) << ": ";
      pretty_print(out, member.value(), indent + 2);
      first = false;
    }
    out << "\n" << pad << "}";
  } else if (value.is_array() && !value.get_array().empty()) {
    out << "[\n";
    bool first = true;
    for (const json::value& element : value.get_array()) {
      out << (first ? "" : ",\n") << inner;
      pretty_print(out, element, indent + 2);
      first = false;
    }
    out << "\n" << pad << "]";
  } else {
    out << json::serialize(value);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::string_view(argv[1]).size() != 40) {
    std::cerr << "usage: alys_generate_consensus_vectors COMMIT > consensus_vectors_format2.json\n"
                 "  COMMIT: the full hash of the clean commit being run (git rev-parse HEAD)\n";
    return 2;
  }
  const std::string commit = argv[1];

  const json::object fields = block_fields(pinned_roots());
  const Block block = block_from_json(fields);
  const Hash32 hash = block_hash(block);

  // A round other than 0, so that the signed block's every field is set and the round's approval
  // message (round appended) is pinned too.
  constexpr std::uint64_t kChainId = 263634;
  constexpr std::uint32_t kRound = 2;
  const Hash32 message = approval_message(kChainId, hash, kRound);
  json::array approvals;
  SignedBlock signed_block{block, {}, kRound};
  for (std::uint32_t member : {0u, 2u}) {
    std::array<std::uint8_t, 32> secret{};
    secret.fill(static_cast<std::uint8_t>(0x41 + member));
    const SecretKey key = *SecretKey::from_bytes(secret);
    std::array<std::uint8_t, 32> aux_rand{};
    aux_rand.fill(static_cast<std::uint8_t>(0xa0 + member));
    const SchnorrSignature signature = key.schnorr_sign(message, aux_rand);
    signed_block.approvals.push_back(Approval{member, signature});
    approvals.push_back(json::object{{"member_index", member},
                                     {"public_key", to_hex(key.xonly_public_key())},
                                     {"signature", to_hex(signature)}});
  }

  ExecutionPayload zeroed = block.payload;
  zeroed.block_hash = Hash32{};

  const json::object file{
      {"about",
       "Consensus encodings of alysd's block format 2 pinned as fixed bytes: the block encoding "
       "and block_hash, approval_message, the signed-block encoding and payload_hash "
       "(sdk/include/alys/domain/block.hpp). Format 2 is alys.domain.Block/2 and "
       "alys.domain.SignedBlock/2: the ExecutionPayload gained, appended after block_hash, the "
       "Engine API V2 fields receipts_root, logs_bloom (256 bytes), prev_randao, extra_data and "
       "withdrawals (index, validator_index, address, amount_gwei). Every node must compute "
       "exactly these bytes from these inputs; tests compare the code against them byte for "
       "byte. The fields of format 1 hold the values they hold in consensus_vectors.json."},
      {"never_regenerate",
       "NEVER regenerate or edit these vectors to make a test pass. A mismatch means the code now "
       "encodes or hashes differently from every node running the old code: a fork. Restore the "
       "encoding. A deliberate change comes with a new schema name and NEW vectors added beside "
       "these, which stay as they are. The format-1 vectors stay in consensus_vectors.json as "
       "history: the code can no longer produce format 1, so no test checks that file's block, "
       "approval, signed_block and payload_hash items; its state_root and transactions_root "
       "(which no block format touches) are still checked there and are not repeated here."},
      {"generator",
       "tests/vectors/generate_consensus_vectors.cpp (CMake target "
       "alys_generate_consensus_vectors), run once on a clean checkout of generated_from_commit"},
      {"generated_from_commit", commit},
      {"command", "build/dev/tests/vectors/alys_generate_consensus_vectors " + commit +
                      " > tests/data/consensus_vectors_format2.json"},
      {"checked_by", json::array{"sdk/src/domain/block.test.cpp",
                                 "plugins/engine/embedded/payload_executor.test.cpp"}},
      {"block",
       json::object{
           {"what",
            "A Block of format 2 with every field set: encoding = encode(block) (alys/codec.hpp), "
            "block_hash = SHA-256(encoding). Its payload commits to the state_root and "
            "transactions_root pinned in consensus_vectors.json."},
           {"fields", fields},
           {"encoding", to_hex(encode(block))},
           {"block_hash", to_hex(hash)},
       }},
      {"approval",
       json::object{
           {"what",
            "approval_message(chain_id, block.block_hash, round) = tagged_hash(\"alys/approval\", "
            "chain_id LE64 || block hash || round LE32) for a round other than 0, and two "
            "members' BIP340 signatures of it."},
           {"chain_id", kChainId},
           {"round", kRound},
           {"block_hash", to_hex(hash)},
           {"message", to_hex(message)},
           {"approvals", approvals},
       }},
      {"signed_block",
       json::object{
           {"what",
            "SignedBlock{block.fields, approval.approvals, approval.round}: encoding = "
            "encode(signed block), the round last (4 bytes LE)."},
           {"encoding", to_hex(encode(signed_block))},
       }},
      {"payload_hash",
       json::object{
           {"what",
            "payload_hash(block.fields.payload) = keccak256(encoding), the payload encoded with "
            "block_hash set to 32 zero bytes; block_hash holds this hash."},
           {"encoding", to_hex(encode(zeroed))},
           {"payload_hash", to_hex(payload_hash(block.payload))},
       }},
  };
  pretty_print(std::cout, file, 0);
  std::cout << "\n";
  return std::cout ? 0 : 1;
}
