#include "alys/domain/bitcoin.hpp"

#include <algorithm>

#include "alys/domain/sha256.hpp"

namespace alys::btc {

namespace {

// Core's MAX_SIZE: the largest CompactSize it accepts for a length or a count.
constexpr std::uint64_t kMaxCompactSize = 0x02000000;

}  // namespace

ByteView WireReader::take(std::size_t size) {
  if (size > remaining())
    throw ParseError("truncated: " + std::to_string(size) + " bytes needed at offset " +
                     std::to_string(offset_) + ", " + std::to_string(remaining()) + " left");
  ByteView out = bytes_.subspan(offset_, size);
  offset_ += size;
  return out;
}

std::uint8_t WireReader::u8() { return take(1)[0]; }

std::uint32_t WireReader::u32() {
  ByteView raw = take(4);
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | raw[i];
  return value;
}

std::uint64_t WireReader::u64() {
  std::uint64_t low = u32();
  return static_cast<std::uint64_t>(u32()) << 32 | low;
}

std::uint64_t WireReader::compact_size() {
  std::size_t at = offset_;
  std::uint8_t first = u8();
  std::uint64_t value = first;
  std::uint64_t minimum = 0;
  if (first == 0xfd) {
    ByteView raw = take(2);
    value = static_cast<std::uint64_t>(raw[1]) << 8 | raw[0];
    minimum = 0xfd;
  } else if (first == 0xfe) {
    value = u32();
    minimum = 0x10000;
  } else if (first == 0xff) {
    value = u64();
    minimum = 0x100000000;
  }
  if (value < minimum)
    throw ParseError("non-canonical CompactSize at offset " + std::to_string(at));
  if (value > kMaxCompactSize)
    throw ParseError("CompactSize " + std::to_string(value) + " at offset " + std::to_string(at) +
                     " is too large");
  return value;
}

Hash32 WireReader::hash() {
  ByteView raw = take(32);
  Hash32 out{};
  std::copy(raw.begin(), raw.end(), out.begin());
  return out;
}

Bytes WireReader::var_bytes() {
  std::uint64_t size = compact_size();
  ByteView raw = take(static_cast<std::size_t>(size));
  return Bytes(raw.begin(), raw.end());
}

std::vector<Hash32> WireReader::hashes() {
  std::uint64_t count = compact_size();
  if (count > remaining() / 32)
    throw ParseError("truncated: " + std::to_string(count) + " hashes announced at offset " +
                     std::to_string(offset_) + ", " + std::to_string(remaining()) + " bytes left");
  std::vector<Hash32> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) out.push_back(hash());
  return out;
}

void write_u32(Bytes& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void write_u64(Bytes& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void write_compact_size(Bytes& out, std::uint64_t value) {
  if (value < 0xfd) {
    out.push_back(static_cast<std::uint8_t>(value));
  } else if (value <= 0xffff) {
    out.push_back(0xfd);
    out.push_back(static_cast<std::uint8_t>(value));
    out.push_back(static_cast<std::uint8_t>(value >> 8));
  } else if (value <= 0xffffffff) {
    out.push_back(0xfe);
    write_u32(out, static_cast<std::uint32_t>(value));
  } else {
    out.push_back(0xff);
    write_u64(out, value);
  }
}

void write_var_bytes(Bytes& out, ByteView bytes) {
  write_compact_size(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void write_hashes(Bytes& out, const std::vector<Hash32>& hashes) {
  write_compact_size(out, hashes.size());
  for (const Hash32& hash : hashes) out.insert(out.end(), hash.begin(), hash.end());
}

// --- block header -----------------------------------------------------------------------------

BlockHeader BlockHeader::parse(ByteView exactly80) {
  if (exactly80.size() != 80)
    throw ParseError("a block header is 80 bytes, got " + std::to_string(exactly80.size()));
  WireReader in(exactly80);
  BlockHeader header;
  header.version = in.i32();
  header.prev_block = in.hash();
  header.merkle_root = in.hash();
  header.time = in.u32();
  header.bits = in.u32();
  header.nonce = in.u32();
  return header;
}

Bytes BlockHeader::serialize() const {
  Bytes out;
  out.reserve(80);
  write_u32(out, static_cast<std::uint32_t>(version));
  out.insert(out.end(), prev_block.begin(), prev_block.end());
  out.insert(out.end(), merkle_root.begin(), merkle_root.end());
  write_u32(out, time);
  write_u32(out, bits);
  write_u32(out, nonce);
  return out;
}

Hash32 BlockHeader::hash() const { return sha256d(serialize()); }

// --- transactions -----------------------------------------------------------------------------

namespace {

std::vector<TxIn> read_inputs(WireReader& in) {
  std::uint64_t count = in.compact_size();
  std::vector<TxIn> inputs;
  for (std::uint64_t i = 0; i < count; ++i) {
    TxIn input;
    input.prev_txid = in.hash();
    input.prev_vout = in.u32();
    input.script_sig = in.var_bytes();
    input.sequence = in.u32();
    inputs.push_back(std::move(input));
  }
  return inputs;
}

std::vector<TxOut> read_outputs(WireReader& in) {
  std::uint64_t count = in.compact_size();
  std::vector<TxOut> outputs;
  for (std::uint64_t i = 0; i < count; ++i) {
    TxOut output;
    output.value = static_cast<std::int64_t>(in.u64());
    output.script_pubkey = in.var_bytes();
    outputs.push_back(std::move(output));
  }
  return outputs;
}

}  // namespace

bool Transaction::has_witness() const {
  return std::any_of(inputs.begin(), inputs.end(),
                     [](const TxIn& input) { return !input.witness.empty(); });
}

Bytes Transaction::serialize(bool with_witness) const {
  bool witness_form = with_witness && has_witness();
  Bytes out;
  write_u32(out, static_cast<std::uint32_t>(version));
  if (witness_form) {
    out.push_back(0x00);  // marker: what a legacy parser reads as an empty input list
    out.push_back(0x01);  // flag
  }
  write_compact_size(out, inputs.size());
  for (const TxIn& input : inputs) {
    out.insert(out.end(), input.prev_txid.begin(), input.prev_txid.end());
    write_u32(out, input.prev_vout);
    write_var_bytes(out, input.script_sig);
    write_u32(out, input.sequence);
  }
  write_compact_size(out, outputs.size());
  for (const TxOut& output : outputs) {
    write_u64(out, static_cast<std::uint64_t>(output.value));
    write_var_bytes(out, output.script_pubkey);
  }
  if (witness_form) {
    for (const TxIn& input : inputs) {
      write_compact_size(out, input.witness.size());
      for (const Bytes& item : input.witness) write_var_bytes(out, item);
    }
  }
  write_u32(out, lock_time);
  return out;
}

Hash32 Transaction::txid() const { return sha256d(serialize(false)); }

Transaction parse_transaction(ByteView bytes, std::size_t& consumed) {
  WireReader in(bytes);
  Transaction tx;
  tx.version = in.i32();
  std::uint8_t flags = 0;
  tx.inputs = read_inputs(in);
  if (tx.inputs.empty()) {
    // Either the BIP144 marker or a transaction without inputs; the next byte tells them apart.
    flags = in.u8();
    if (flags != 0) {
      tx.inputs = read_inputs(in);
      tx.outputs = read_outputs(in);
    }
  } else {
    tx.outputs = read_outputs(in);
  }
  if (flags & 1) {
    flags ^= 1;
    for (TxIn& input : tx.inputs) {
      std::uint64_t items = in.compact_size();
      for (std::uint64_t i = 0; i < items; ++i) input.witness.push_back(in.var_bytes());
    }
    if (!tx.has_witness()) throw ParseError("superfluous witness record");
  }
  if (flags != 0) throw ParseError("unknown transaction optional data");
  tx.lock_time = in.u32();
  consumed = in.offset();
  return tx;
}

Hash32 merkle_root_from_branch(Hash32 leaf, const std::vector<Hash32>& branch,
                               std::uint32_t index) {
  Bytes pair(64);
  for (const Hash32& sibling : branch) {
    const Hash32& left = (index & 1) ? sibling : leaf;
    const Hash32& right = (index & 1) ? leaf : sibling;
    std::copy(left.begin(), left.end(), pair.begin());
    std::copy(right.begin(), right.end(), pair.begin() + 32);
    leaf = sha256d(pair);
    index >>= 1;
  }
  return leaf;
}

}  // namespace alys::btc
