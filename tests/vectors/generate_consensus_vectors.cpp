// Prints tests/data/consensus_vectors.json: the consensus encodings of fixed inputs, as the code of
// this commit computes them. It was run ONCE to create that file and must not be run to update it:
// the vectors exist to catch the code changing its encodings (a fork), so they are never
// regenerated to make a test pass. It writes to standard output only, never to the repository.
//
// usage: alys_generate_consensus_vectors COMMIT > consensus_vectors.json
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

// Several accounts, given out of address order, with nonces and balances that use every byte of
// their fields, and one empty account that the root must skip.
json::array state_accounts() {
  auto account = [](std::string_view address, std::uint64_t nonce, std::string_view balance_wei) {
    return json::object{{"address", address}, {"nonce", nonce}, {"balance_wei", balance_wei}};
  };
  return json::array{
      account("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", 2, "9998999957000000000000"),
      account("0x00000000000000000000000000000000000000ff", UINT64_MAX,
              "340282366920938463463374607431768211455"),
      account("0x3535353535353535353535353535353535353535", 0, "1000000000000000000"),
      account("0x1111111111111111111111111111111111111111", 0, "0"),
      account("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23", 1, "0"),
      account("0x9d8a62f656a8d1615c1294fd71e9cfb3e4855a4f", 300, "123456789012345678901234567"),
  };
}

// The documented preimage (ledger.hpp): non-empty accounts by address, address || nonce (8, BE)
// || balance (32, BE). Written out here so that the file shows the bytes; the generator checks
// that the engine's root is the keccak256 of them.
json::object state_root_vector() {
  const json::array accounts = state_accounts();
  engine::embedded::Ledger ledger;
  for (const json::value& value : accounts) {
    const json::object& account = value.as_object();
    std::optional<Wei> balance = wei_parse(string_field(account, "balance_wei"));
    if (!balance) fail("bad balance");
    ledger.set(fixed_field<20>(account, "address"),
               engine::embedded::Account{u64_field(account, "nonce"), *balance});
  }
  Bytes preimage;
  for (const auto& [address, account] : ledger.accounts()) {
    preimage.insert(preimage.end(), address.begin(), address.end());
    for (int shift = 56; shift >= 0; shift -= 8)
      preimage.push_back(static_cast<std::uint8_t>(account.nonce >> shift));
    const auto balance = wei_to_be32(account.balance);
    preimage.insert(preimage.end(), balance.begin(), balance.end());
  }
  const Hash32 root = ledger.state_root();
  if (keccak256(preimage) != root) fail("the ledger's state root is not keccak256 of the preimage");
  return json::object{
      {"what",
       "The embedded engine's state root (plugins/engine/embedded/ledger.hpp) of these accounts: "
       "keccak256(preimage). The empty account (nonce 0, balance 0) is not committed to."},
      {"accounts", accounts},
      {"preimage", to_hex(preimage)},
      {"state_root", to_hex(root)},
  };
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

json::object transactions_root_vector() {
  std::vector<Hash32> hashes;
  json::array hashes_json;
  Bytes preimage;
  for (std::string_view raw : kRawTransactions) {
    const Hash32 hash = keccak256(*from_hex(raw));
    hashes.push_back(hash);
    hashes_json.emplace_back(to_hex(hash));
    preimage.insert(preimage.end(), hash.begin(), hash.end());
  }
  return json::object{
      {"what",
       "The embedded engine's transactions root (plugins/engine/embedded/payload_executor.hpp) "
       "of the block's two transactions: keccak256(preimage), the hashes concatenated in order."},
      {"transaction_hashes", hashes_json},
      {"preimage", to_hex(preimage)},
      {"transactions_root", to_hex(engine::embedded::transactions_root(hashes))},
  };
}

// Every field set, none to its default, so that a change to any field's encoding shows; fields of
// one type in one record hold different values, so that swapping two of them shows too.
json::object block_fields(const std::string& state_root, const std::string& transactions_root) {
  json::array transactions;
  for (std::string_view raw : kRawTransactions) transactions.emplace_back(raw);
  json::object payload{
      {"parent_hash", repeated_hex<32>(0x22)},
      {"number", 8},
      {"timestamp_s", 1'767'225'622},
      {"fee_recipient", "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"},
      {"state_root", state_root},
      {"transactions_root", transactions_root},
      {"gas_limit", 30'000'000},
      {"gas_used", 42'000},
      {"base_fee_per_gas", to_hex(wei_to_be32(1'000'000'007))},
      {"transactions", transactions},
      {"block_hash", repeated_hex<32>(0)},  // set to payload_hash below
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
    std::cerr << "usage: alys_generate_consensus_vectors COMMIT > consensus_vectors.json\n"
                 "  COMMIT: the full hash of the clean commit being run (git rev-parse HEAD)\n";
    return 2;
  }
  const std::string commit = argv[1];

  const json::object state_root = state_root_vector();
  const json::object transactions_root = transactions_root_vector();
  const json::object fields = block_fields(string_field(state_root, "state_root"),
                                           string_field(transactions_root, "transactions_root"));
  const Block block = block_from_json(fields);
  const Hash32 hash = block_hash(block);

  constexpr std::uint64_t kChainId = 263634;
  const Hash32 message = approval_message(kChainId, hash);
  json::array approvals;
  SignedBlock signed_block{block, {}};
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
       "Consensus encodings of alysd pinned as fixed bytes: the block encoding and block_hash, "
       "approval_message, payload_hash (sdk/include/alys/domain/block.hpp), the embedded engine's "
       "state root and transactions root. Every node must compute exactly these bytes from these "
       "inputs; tests compare the code against them byte for byte."},
      {"never_regenerate",
       "NEVER regenerate or edit these vectors to make a test pass. A mismatch means the code now "
       "encodes or hashes differently from every node running the old code: a fork. Restore the "
       "encoding. A deliberate change comes with a new schema name and NEW vectors added beside "
       "these, which stay as they are."},
      {"generator",
       "tests/vectors/generate_consensus_vectors.cpp (CMake target "
       "alys_generate_consensus_vectors), run once on a clean checkout of generated_from_commit"},
      {"generated_from_commit", commit},
      {"command", "build/dev/tests/vectors/alys_generate_consensus_vectors " + commit +
                      " > tests/data/consensus_vectors.json"},
      {"checked_by",
       json::array{"sdk/src/domain/block.test.cpp", "plugins/engine/embedded/ledger.test.cpp",
                   "plugins/engine/embedded/payload_executor.test.cpp"}},
      {"block",
       json::object{
           {"what",
            "A Block with every field set: encoding = encode(block) (alys/codec.hpp), "
            "block_hash = SHA-256(encoding)."},
           {"fields", fields},
           {"encoding", to_hex(encode(block))},
           {"block_hash", to_hex(hash)},
       }},
      {"approval",
       json::object{
           {"what",
            "approval_message(chain_id, block.block_hash) = tagged_hash(\"alys/approval\", "
            "chain_id LE64 || block hash), and two members' BIP340 signatures of it."},
           {"chain_id", kChainId},
           {"block_hash", to_hex(hash)},
           {"message", to_hex(message)},
           {"approvals", approvals},
       }},
      {"signed_block",
       json::object{
           {"what",
            "SignedBlock{block.fields, approval.approvals, round 0}: encoding = encode(signed "
            "block). The round (4 bytes LE, the round of the approvals) was appended on purpose "
            "when approvals gained rounds: a certificate is threshold approvals from one round."},
           {"encoding", to_hex(encode(signed_block))},
       }},
      {"payload_hash",
       json::object{
           {"what",
            "payload_hash(block.fields.payload) = keccak256(encoding), the payload encoded with "
            "block_hash set to 32 zero bytes."},
           {"encoding", to_hex(encode(zeroed))},
           {"payload_hash", to_hex(payload_hash(block.payload))},
       }},
      {"state_root", state_root},
      {"transactions_root", transactions_root},
  };
  pretty_print(std::cout, file, 0);
  std::cout << "\n";
  return std::cout ? 0 : 1;
}
