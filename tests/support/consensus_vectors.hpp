// Reads the consensus encodings pinned as fixed bytes (see each file's own "about" fields):
// - tests/data/consensus_vectors_format2.json: the block of format 2 (alys.domain.Block/2), its
//   approvals, signed-block encoding and payload hash. The block readers below read this format.
// - tests/data/consensus_vectors.json: the embedded engine's state and transactions roots, which
//   the block format does not touch, and the format-1 block vectors, kept as history: no code
//   checks those any more, since the code can no longer produce format 1.
// The tests and the generator (tests/vectors) build their inputs from the named fields through
// these readers, so a field the code moves or re-encodes changes bytes that a file pins. Needs
// ALYS_SOURCE_DIR (alys_add_test sets it) for the loaders.
//
// Every reader throws std::invalid_argument naming the field when a value is missing or malformed.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "alys/domain/block.hpp"
#include "alys/domain/hash.hpp"

namespace alys::testing::vectors {

namespace json = boost::json;

inline const json::value& field(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr)
    throw std::invalid_argument("consensus vector field missing: " + std::string(name));
  return *value;
}

inline const json::object& object_field(const json::object& object, std::string_view name) {
  const json::value& value = field(object, name);
  if (!value.is_object()) throw std::invalid_argument(std::string(name) + " is not an object");
  return value.get_object();
}

inline const json::array& array_field(const json::object& object, std::string_view name) {
  const json::value& value = field(object, name);
  if (!value.is_array()) throw std::invalid_argument(std::string(name) + " is not an array");
  return value.get_array();
}

inline std::string string_field(const json::object& object, std::string_view name) {
  const json::value& value = field(object, name);
  if (!value.is_string()) throw std::invalid_argument(std::string(name) + " is not a string");
  return std::string(value.get_string());
}

// An unsigned JSON number; boost::json keeps integers up to 2^64 - 1 exact.
inline std::uint64_t u64_field(const json::object& object, std::string_view name) {
  const json::value& value = field(object, name);
  if (value.is_uint64()) return value.get_uint64();
  if (value.is_int64() && value.get_int64() >= 0)
    return static_cast<std::uint64_t>(value.get_int64());
  throw std::invalid_argument(std::string(name) + " is not an unsigned integer");
}

inline std::uint32_t u32_field(const json::object& object, std::string_view name) {
  const std::uint64_t value = u64_field(object, name);
  if (value > UINT32_MAX) throw std::invalid_argument(std::string(name) + " exceeds 32 bits");
  return static_cast<std::uint32_t>(value);
}

inline Bytes bytes_of_hex(const json::value& value, std::string_view name) {
  std::optional<Bytes> bytes = value.is_string() ? from_hex(value.get_string()) : std::nullopt;
  if (!bytes) throw std::invalid_argument(std::string(name) + " is not hex");
  return *bytes;
}

inline Bytes bytes_field(const json::object& object, std::string_view name) {
  return bytes_of_hex(field(object, name), name);
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_of_hex(const json::value& value, std::string_view name) {
  std::optional<std::array<std::uint8_t, N>> bytes =
      value.is_string() ? fixed_from_hex<N>(value.get_string()) : std::nullopt;
  if (!bytes)
    throw std::invalid_argument(std::string(name) + " is not " + std::to_string(N) +
                                " bytes of hex");
  return *bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed_field(const json::object& object, std::string_view name) {
  return fixed_of_hex<N>(field(object, name), name);
}

inline ExecutionPayload payload_from_json(const json::object& in) {
  ExecutionPayload payload;
  payload.parent_hash = fixed_field<32>(in, "parent_hash");
  payload.number = u64_field(in, "number");
  payload.timestamp_s = u64_field(in, "timestamp_s");
  payload.fee_recipient = fixed_field<20>(in, "fee_recipient");
  payload.state_root = fixed_field<32>(in, "state_root");
  payload.transactions_root = fixed_field<32>(in, "transactions_root");
  payload.gas_limit = u64_field(in, "gas_limit");
  payload.gas_used = u64_field(in, "gas_used");
  payload.base_fee_per_gas = fixed_field<32>(in, "base_fee_per_gas");
  for (const json::value& raw : array_field(in, "transactions"))
    payload.transactions.push_back(bytes_of_hex(raw, "transactions[]"));
  payload.block_hash = fixed_field<32>(in, "block_hash");
  payload.receipts_root = fixed_field<32>(in, "receipts_root");
  payload.logs_bloom = fixed_field<256>(in, "logs_bloom");
  payload.prev_randao = fixed_field<32>(in, "prev_randao");
  payload.extra_data = bytes_field(in, "extra_data");
  for (const json::value& value : array_field(in, "withdrawals")) {
    const json::object& withdrawal = value.as_object();
    payload.withdrawals.push_back(
        Withdrawal{u64_field(withdrawal, "index"), u64_field(withdrawal, "validator_index"),
                   fixed_field<20>(withdrawal, "address"), u64_field(withdrawal, "amount_gwei")});
  }
  return payload;
}

inline Block block_from_json(const json::object& in) {
  Block block;
  block.height = u64_field(in, "height");
  block.parent_hash = fixed_field<32>(in, "parent_hash");
  block.slot = u64_field(in, "slot");
  block.timestamp_ms = u64_field(in, "timestamp_ms");
  block.author_index = u32_field(in, "author_index");
  block.payload = payload_from_json(object_field(in, "payload"));
  for (const json::value& value : array_field(in, "pegins")) {
    const json::object& pegin = value.as_object();
    block.pegins.push_back(PegIn{fixed_field<32>(pegin, "bitcoin_txid"), u32_field(pegin, "vout"),
                                 fixed_field<20>(pegin, "to"), u64_field(pegin, "amount_sats")});
  }
  for (const json::value& value : array_field(in, "pegout_proposal")) {
    const json::object& pegout = value.as_object();
    block.pegout_proposal.push_back(PegOutRequest{fixed_field<32>(pegout, "burn_tx_hash"),
                                                  string_field(pegout, "bitcoin_script_pubkey_hex"),
                                                  u64_field(pegout, "amount_sats")});
  }
  for (const json::value& hash : array_field(in, "finalized_pegouts"))
    block.finalized_pegouts.push_back(fixed_of_hex<32>(hash, "finalized_pegouts[]"));
  for (const json::value& value : array_field(in, "auxpow")) {
    const json::object& header = value.as_object();
    block.auxpow.push_back(AuxPowHeader{
        u64_field(header, "range_start"), u64_field(header, "range_end"), u32_field(header, "bits"),
        u32_field(header, "chain_id"), u64_field(header, "height"), bytes_field(header, "auxpow"),
        fixed_field<20>(header, "fee_recipient")});
  }
  return block;
}

inline Approval approval_from_json(const json::object& in) {
  return Approval{u32_field(in, "member_index"), fixed_field<64>(in, "signature")};
}

// The committed file tests/data/<name>, parsed; throws std::runtime_error when it cannot be read or
// parsed.
inline json::object load_vectors_file(std::string_view name) {
  const std::filesystem::path path =
      std::filesystem::path(ALYS_SOURCE_DIR "/tests/data") / std::string(name);
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

// The state and transactions roots (and the format-1 block vectors, history only).
inline json::object load_consensus_vectors() { return load_vectors_file("consensus_vectors.json"); }

// The block of format 2: "block", "approval", "signed_block", "payload_hash".
inline json::object load_consensus_vectors_format2() {
  return load_vectors_file("consensus_vectors_format2.json");
}

}  // namespace alys::testing::vectors
