// Merged mining (AuxPoW): a Bitcoin block whose coinbase commits to one of our blocks, with the
// merkle branches that prove it. The rules are Namecoin's CAuxPow::check; docs/auxpow.md describes
// the format field by field, the byte order of each field and every rejection reason.
//
// Wire format (Namecoin's CAuxPow): coinbase transaction (BIP144 witness allowed) | 32-byte
// parent_hash_field | coinbase_branch (CompactSize count, 32-byte hashes) | coinbase_index (int32
// LE) | chain_branch | chain_index (int32 LE) | 80-byte parent header.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/bitcoin.hpp"
#include "alys/domain/hash.hpp"

namespace alys {

// Where the parent coinbase commits to the chain merkle root.
enum class AuxPowCommitment {
  coinbase_script,  // the first input's script (Namecoin's rules; what merged-mining pools do)
  coinbase_output,  // the whole 44-byte script of coinbase output 2, or else 3 (Alys's variant)
};

// The 4 bytes that introduce the chain merkle root in a coinbase.
constexpr std::array<std::uint8_t, 4> kMergedMiningMagic = {0xfa, 0xbe, 0x6d, 0x6d};
// Namecoin's limit on the chain merkle branch.
constexpr std::size_t kMaxChainBranchLength = 30;
// The auxpow flag of a block version (Namecoin's VERSION_AUXPOW); a parent must not carry it.
constexpr std::int32_t kAuxPowVersionBit = 0x100;

struct AuxPow {
  btc::Transaction coinbase;
  Hash32 parent_hash_field{};  // serialized but unused by the rules (Namecoin's hashBlock)
  std::vector<Hash32> coinbase_branch;
  std::uint32_t coinbase_index = 0;
  std::vector<Hash32> chain_branch;
  std::uint32_t chain_index = 0;
  btc::BlockHeader parent;

  // The whole input must be one AuxPoW: throws btc::ParseError (with the reason) otherwise,
  // including for bytes left after the parent header.
  static AuxPow parse(ByteView bytes);
  // The coinbase in witness form when it has a witness, so serialize(parse(x)) == x.
  Bytes serialize() const;
};

// The chain id a parent header carries: Namecoin's GetChainId, nVersion / 0x10000 in signed 32-bit
// arithmetic (a negative version gives a negative id, which equals no chain id of ours).
std::int32_t parent_chain_id(const btc::BlockHeader& parent);

// The chain merkle root the coinbase must commit to: aux_hash walked up chain_branch/chain_index.
Hash32 chain_merkle_root(const AuxPow& auxpow, const Hash32& aux_hash);

// Namecoin's CAuxPow::check of `auxpow` for the child block hash `aux_hash` (internal byte order),
// plus its CheckAuxPowProofOfWork rule that the parent has no auxpow version bit. Returns the first
// failed rule's reason or nullopt when valid. Checks no proof of work (parent_meets_bits does).
// `strict_chain_id`: the parent must not carry our chain id (Namecoin's fStrictChainId).
// The reasons, in the order the rules are checked:
//   "coinbase branch index must be 0"
//   "parent has the auxpow version bit"
//   "parent has our chain id"                                    (strict_chain_id only)
//   "chain branch longer than 30"
//   "coinbase merkle root is not the parent's"
//   coinbase_script:
//     "coinbase has no inputs"
//     "merged-mining root not in the coinbase"
//     "multiple merged-mining headers"
//     "merged-mining header is not just before the root"
//     "merged-mining root starts after byte 20 of the script (no magic)"
//     "no merkle size and nonce after the merged-mining root"
//   coinbase_output:
//     "coinbase has no output 2 or 3"
//     "coinbase output 2/3 script is not 44 bytes"
//     "coinbase output 2/3 has no merged-mining magic"
//     "merged-mining root not in coinbase output 2 or 3"
//   "merkle size does not match the chain branch"
//   "wrong chain index"
std::optional<std::string> check_auxpow(const AuxPow& auxpow, const Hash32& aux_hash,
                                        std::uint32_t chain_id, bool strict_chain_id,
                                        AuxPowCommitment commitment);

// The parent header's SHA256d meets `bits` (the CHILD's target), as hash_meets_bits.
bool parent_meets_bits(const AuxPow& auxpow, std::uint32_t bits);

// Namecoin's getExpectedIndex: the slot of chain `chain_id` in a chain merkle tree of height
// `branch_height`, from the nonce committed next to the root. Defined for any height: above 31
// the whole 32-bit value is returned.
std::uint32_t expected_chain_index(std::uint32_t nonce, std::uint32_t chain_id,
                                   unsigned branch_height);

// The 44 bytes a commitment consists of: magic | root in display order | size LE | nonce LE.
Bytes merged_mining_commitment(const Hash32& chain_root, std::uint32_t merkle_size,
                               std::uint32_t nonce);

// A minimal AuxPoW committing to aux_hash: a one-transaction parent block (empty coinbase branch,
// parent merkle root = coinbase txid), an empty chain branch, merkle size 1, nonce 0; the parent
// version is parent_chain_id << 16 with no auxpow bit, its time, bits and nonce are 0. NOT mined.
// coinbase_script: one input whose script pushes the 44-byte commitment; no outputs.
// coinbase_output: one input (script "alys"), outputs 0 and 1 OP_RETURN, output 2 the commitment.
// Throws std::invalid_argument when parent_chain_id equals chain_id or exceeds 0xffff.
AuxPow make_auxpow(const Hash32& aux_hash, std::uint32_t chain_id, AuxPowCommitment commitment,
                   std::uint32_t parent_chain_id = 0);

// Grinds parent.nonce (and, each time the nonce wraps, parent.time) until parent_meets_bits;
// returns false after `max_attempts` hashes without success (the header then holds the next
// untried nonce and time, so a further call continues) or at once when `bits` decode to no usable
// target.
bool mine_auxpow(AuxPow& auxpow, std::uint32_t bits, std::uint64_t max_attempts);

}  // namespace alys
