// The Bitcoin structures merged mining needs: the 80-byte block header, transactions (with or
// without BIP144 witness), merkle branches, and the wire encoding they are read and written in.
//
// Byte order: every Hash32 here (prev_block, merkle_root, prev_txid, hash(), txid(), branch
// entries) is in Bitcoin's internal order, as SHA256d output it and as it travels on the wire.
// Bitcoin's RPC and explorers show these byte-reversed ("display order"): reversed() converts.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "alys/codec.hpp"
#include "alys/domain/hash.hpp"

namespace alys::btc {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads Bitcoin's wire encoding from a byte view it does not own (the bytes must outlive it):
// little-endian integers and CompactSize counts. Every read past the end, and a CompactSize that
// is not minimally encoded or exceeds 0x02000000 (Core's MAX_SIZE), throws ParseError.
class WireReader {
 public:
  explicit WireReader(ByteView bytes) : bytes_(bytes) {}
  std::uint8_t u8();
  std::uint32_t u32();
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::uint64_t u64();
  std::uint64_t compact_size();
  Hash32 hash();
  ByteView take(std::size_t size);
  // A CompactSize length followed by that many bytes.
  Bytes var_bytes();
  std::vector<Hash32> hashes();  // a CompactSize count followed by that many hashes
  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }

 private:
  ByteView bytes_;
  std::size_t offset_ = 0;
};

void write_u32(Bytes& out, std::uint32_t value);
void write_u64(Bytes& out, std::uint64_t value);
void write_compact_size(Bytes& out, std::uint64_t value);
void write_var_bytes(Bytes& out, ByteView bytes);
void write_hashes(Bytes& out, const std::vector<Hash32>& hashes);

struct BlockHeader {
  std::int32_t version = 0;
  Hash32 prev_block{};
  Hash32 merkle_root{};
  std::uint32_t time = 0;
  std::uint32_t bits = 0;
  std::uint32_t nonce = 0;

  // Throws ParseError unless `exactly80` is 80 bytes.
  static BlockHeader parse(ByteView exactly80);
  Bytes serialize() const;  // 80 bytes
  Hash32 hash() const;      // SHA256d of serialize(), internal order
};

struct TxIn {
  Hash32 prev_txid{};
  std::uint32_t prev_vout = 0;
  Bytes script_sig;
  std::uint32_t sequence = 0xffffffff;
  std::vector<Bytes> witness;  // the BIP141 witness stack; empty for none
};

struct TxOut {
  std::int64_t value = 0;  // satoshis
  Bytes script_pubkey;
};

struct Transaction {
  std::int32_t version = 1;
  std::vector<TxIn> inputs;
  std::vector<TxOut> outputs;
  std::uint32_t lock_time = 0;

  bool has_witness() const;
  // As Core's SerializeTransaction: the BIP144 form (marker 0x00, flag 0x01, witnesses) only when
  // `with_witness` and some input has a witness; otherwise the legacy form.
  Bytes serialize(bool with_witness) const;
  Hash32 txid() const;  // SHA256d of the non-witness serialization
};

// Reads one transaction from the front of `bytes` as Core's UnserializeTransaction with witness
// allowed: an empty input list followed by a non-zero flag byte starts the BIP144 form; flag 1
// with no witness at all ("superfluous witness record") and any other flag are errors. `consumed`
// gets the size of the transaction. Throws ParseError (with the reason).
Transaction parse_transaction(ByteView bytes, std::size_t& consumed);

// Walks a merkle branch from `leaf`: at level i the running hash becomes SHA256d(sibling || hash)
// when bit i of `index` is 1 and SHA256d(hash || sibling) otherwise. Bits of `index` past the
// branch's length are ignored (as Namecoin's CheckMerkleBranch).
Hash32 merkle_root_from_branch(Hash32 leaf, const std::vector<Hash32>& branch, std::uint32_t index);

}  // namespace alys::btc
