#include "alys/domain/auxpow.hpp"

#include <algorithm>
#include <stdexcept>

#include "alys/domain/compact.hpp"
#include "alys/domain/sha256.hpp"

namespace alys {

namespace {

// A commitment's size: magic, root, merkle size, nonce.
constexpr std::size_t kCommitmentSize = 4 + 32 + 4 + 4;
// Without the magic, the root must start within this many bytes of the script (Namecoin's
// backward-compatibility rule: 8-12 bytes are enough for extraNonce and nBits before it).
constexpr std::ptrdiff_t kLegacyRootMaxOffset = 20;

std::uint32_t read_le32(const std::uint8_t* at) {
  return static_cast<std::uint32_t>(at[0]) | static_cast<std::uint32_t>(at[1]) << 8 |
         static_cast<std::uint32_t>(at[2]) << 16 | static_cast<std::uint32_t>(at[3]) << 24;
}

// Where the 8 bytes of merkle size and nonce start, or the reason there are none.
struct Located {
  const std::uint8_t* size_and_nonce = nullptr;
  std::optional<std::string> error;
};

Located locate_in_script(const btc::Transaction& coinbase, const Hash32& root_display) {
  if (coinbase.inputs.empty()) return {nullptr, "coinbase has no inputs"};
  const Bytes& script = coinbase.inputs[0].script_sig;
  auto head = std::search(script.begin(), script.end(), kMergedMiningMagic.begin(),
                          kMergedMiningMagic.end());
  auto root = std::search(script.begin(), script.end(), root_display.begin(), root_display.end());
  if (root == script.end()) return {nullptr, "merged-mining root not in the coinbase"};
  if (head != script.end()) {
    // One magic only, right before the root: a coinbase commits to one chain merkle root.
    if (std::search(head + 1, script.end(), kMergedMiningMagic.begin(), kMergedMiningMagic.end()) !=
        script.end())
      return {nullptr, "multiple merged-mining headers"};
    if (head + kMergedMiningMagic.size() != root)
      return {nullptr, "merged-mining header is not just before the root"};
  } else if (root - script.begin() > kLegacyRootMaxOffset) {
    return {nullptr, "merged-mining root starts after byte 20 of the script (no magic)"};
  }
  auto after = root + root_display.size();
  if (script.end() - after < 8)
    return {nullptr, "no merkle size and nonce after the merged-mining root"};
  return {&*after, std::nullopt};
}

Located locate_in_outputs(const btc::Transaction& coinbase, const Hash32& root_display) {
  bool any_output = false, any_sized = false, any_magic = false;
  for (std::size_t index : {std::size_t{2}, std::size_t{3}}) {
    if (index >= coinbase.outputs.size()) break;
    any_output = true;
    const Bytes& script = coinbase.outputs[index].script_pubkey;
    if (script.size() != kCommitmentSize) continue;
    any_sized = true;
    if (!std::equal(kMergedMiningMagic.begin(), kMergedMiningMagic.end(), script.begin())) continue;
    any_magic = true;
    if (!std::equal(root_display.begin(), root_display.end(), script.begin() + 4)) continue;
    return {script.data() + 36, std::nullopt};
  }
  if (!any_output) return {nullptr, "coinbase has no output 2 or 3"};
  if (!any_sized) return {nullptr, "coinbase output 2/3 script is not 44 bytes"};
  if (!any_magic) return {nullptr, "coinbase output 2/3 has no merged-mining magic"};
  return {nullptr, "merged-mining root not in coinbase output 2 or 3"};
}

}  // namespace

AuxPow AuxPow::parse(ByteView bytes) {
  AuxPow auxpow;
  std::size_t consumed = 0;
  try {
    auxpow.coinbase = btc::parse_transaction(bytes, consumed);
  } catch (const btc::ParseError& e) {
    throw btc::ParseError(std::string("coinbase transaction: ") + e.what());
  }
  btc::WireReader in(bytes.subspan(consumed));
  auxpow.parent_hash_field = in.hash();
  auxpow.coinbase_branch = in.hashes();
  auxpow.coinbase_index = in.u32();
  auxpow.chain_branch = in.hashes();
  auxpow.chain_index = in.u32();
  auxpow.parent = btc::BlockHeader::parse(in.take(80));
  if (in.remaining() != 0)
    throw btc::ParseError(std::to_string(in.remaining()) +
                          " bytes after the AuxPoW's parent header");
  return auxpow;
}

Bytes AuxPow::serialize() const {
  Bytes out = coinbase.serialize(true);
  out.insert(out.end(), parent_hash_field.begin(), parent_hash_field.end());
  btc::write_hashes(out, coinbase_branch);
  btc::write_u32(out, coinbase_index);
  btc::write_hashes(out, chain_branch);
  btc::write_u32(out, chain_index);
  Bytes header = parent.serialize();
  out.insert(out.end(), header.begin(), header.end());
  return out;
}

std::int32_t parent_chain_id(const btc::BlockHeader& parent) { return parent.version / 0x10000; }

Hash32 chain_merkle_root(const AuxPow& auxpow, const Hash32& aux_hash) {
  return btc::merkle_root_from_branch(aux_hash, auxpow.chain_branch, auxpow.chain_index);
}

std::optional<std::string> check_auxpow(const AuxPow& auxpow, const Hash32& aux_hash,
                                        std::uint32_t chain_id, bool strict_chain_id,
                                        AuxPowCommitment commitment) {
  if (auxpow.coinbase_index != 0) return "coinbase branch index must be 0";
  if (auxpow.parent.version & kAuxPowVersionBit) return "parent has the auxpow version bit";
  if (strict_chain_id &&
      static_cast<std::int64_t>(parent_chain_id(auxpow.parent)) == std::int64_t{chain_id})
    return "parent has our chain id";
  if (auxpow.chain_branch.size() > kMaxChainBranchLength) return "chain branch longer than 30";
  if (btc::merkle_root_from_branch(auxpow.coinbase.txid(), auxpow.coinbase_branch, 0) !=
      auxpow.parent.merkle_root)
    return "coinbase merkle root is not the parent's";

  Hash32 root_display = reversed(chain_merkle_root(auxpow, aux_hash));
  Located located = commitment == AuxPowCommitment::coinbase_script
                        ? locate_in_script(auxpow.coinbase, root_display)
                        : locate_in_outputs(auxpow.coinbase, root_display);
  if (located.error) return located.error;

  auto height = static_cast<unsigned>(auxpow.chain_branch.size());
  if (read_le32(located.size_and_nonce) != (1u << height))
    return "merkle size does not match the chain branch";
  std::uint32_t nonce = read_le32(located.size_and_nonce + 4);
  if (auxpow.chain_index != expected_chain_index(nonce, chain_id, height))
    return "wrong chain index";
  return std::nullopt;
}

bool parent_meets_bits(const AuxPow& auxpow, std::uint32_t bits) {
  return hash_meets_bits(auxpow.parent.hash(), bits);
}

std::uint32_t expected_chain_index(std::uint32_t nonce, std::uint32_t chain_id,
                                   unsigned branch_height) {
  // A pseudo-random slot, fixed for a nonce, chain id and tree size, so that one parent block
  // cannot commit to two blocks of the same chain. Wraps modulo 2^32 on purpose.
  std::uint32_t rand = nonce;
  rand = rand * 1103515245u + 12345u;
  rand += chain_id;
  rand = rand * 1103515245u + 12345u;
  if (branch_height >= 32) return rand;
  return rand & ((std::uint32_t{1} << branch_height) - 1);
}

Bytes merged_mining_commitment(const Hash32& chain_root, std::uint32_t merkle_size,
                               std::uint32_t nonce) {
  // Reserved up front: growing a 4-byte vector by insert trips g++ 12's -Warray-bounds at -O2.
  Bytes out;
  out.reserve(44);
  out.insert(out.end(), kMergedMiningMagic.begin(), kMergedMiningMagic.end());
  const Hash32 display = reversed(chain_root);
  out.insert(out.end(), display.begin(), display.end());
  btc::write_u32(out, merkle_size);
  btc::write_u32(out, nonce);
  return out;
}

AuxPow make_auxpow(const Hash32& aux_hash, std::uint32_t chain_id, AuxPowCommitment commitment,
                   std::uint32_t parent_chain_id) {
  if (parent_chain_id == chain_id)
    throw std::invalid_argument("the parent chain id must differ from ours (" +
                                std::to_string(chain_id) + ")");
  if (parent_chain_id > 0xffff)
    throw std::invalid_argument("a parent chain id is 16 bits, got " +
                                std::to_string(parent_chain_id));
  // With an empty chain branch the root is the child hash itself.
  Bytes commitment_bytes = merged_mining_commitment(aux_hash, 1, 0);

  AuxPow auxpow;
  btc::TxIn input;
  input.prev_vout = 0xffffffff;  // a coinbase spends the null outpoint
  if (commitment == AuxPowCommitment::coinbase_script) {
    input.script_sig.push_back(static_cast<std::uint8_t>(commitment_bytes.size()));  // a push
    input.script_sig.insert(input.script_sig.end(), commitment_bytes.begin(),
                            commitment_bytes.end());
  } else {
    input.script_sig = {0x04, 'a', 'l', 'y', 's'};
    constexpr std::uint8_t kOpReturn = 0x6a;
    auxpow.coinbase.outputs = {btc::TxOut{0, {kOpReturn}}, btc::TxOut{0, {kOpReturn}},
                               btc::TxOut{0, commitment_bytes}};
  }
  auxpow.coinbase.inputs.push_back(std::move(input));
  auxpow.parent.version = static_cast<std::int32_t>(parent_chain_id << 16);
  auxpow.parent.merkle_root = auxpow.coinbase.txid();
  return auxpow;
}

bool mine_auxpow(AuxPow& auxpow, std::uint32_t bits, std::uint64_t max_attempts) {
  CompactTarget target = decode_compact(bits);
  if (target.negative || target.overflow || target.target.is_zero()) return false;
  Bytes header = auxpow.parent.serialize();
  auto put_le32 = [&](std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) header[at + i] = static_cast<std::uint8_t>(value >> (8 * i));
  };
  constexpr std::size_t kTimeOffset = 68, kNonceOffset = 76;
  Sha256 hasher;  // one libcrypto context for every attempt
  for (std::uint64_t attempt = 0; attempt < max_attempts; ++attempt) {
    put_le32(kTimeOffset, auxpow.parent.time);
    put_le32(kNonceOffset, auxpow.parent.nonce);
    if (U256::from_le(sha256d(hasher, header)) <= target.target) return true;
    if (++auxpow.parent.nonce == 0) ++auxpow.parent.time;
  }
  return false;
}

}  // namespace alys
