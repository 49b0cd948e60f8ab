#include "chain_rpc.hpp"

#include <boost/json.hpp>

#include "alys/admin_rpc.hpp"
#include "alys/domain/compact.hpp"
#include "alys/domain/wei.hpp"
#include "alys/json_rpc.hpp"

namespace alys::chain {

namespace json = boost::json;

namespace {

using json_rpc::kInvalidParams;

json::string hex(ByteView bytes) { return json::string(to_0x_hex(bytes)); }

json::string hex_bits(std::uint32_t bits) {
  const std::array<std::uint8_t, 4> bytes{
      static_cast<std::uint8_t>(bits >> 24), static_cast<std::uint8_t>(bits >> 16),
      static_cast<std::uint8_t>(bits >> 8), static_cast<std::uint8_t>(bits)};
  return json::string(to_hex(bytes));
}

json::value payload_json(const ExecutionPayload& payload) {
  json::array transactions;
  for (const Bytes& tx : payload.transactions) transactions.push_back(hex(tx));
  return json::object{
      {"blockHash", hex(payload.block_hash)},
      {"parentHash", hex(payload.parent_hash)},
      {"number", payload.number},
      {"timestamp", payload.timestamp_s},
      {"feeRecipient", hex(payload.fee_recipient)},
      {"stateRoot", hex(payload.state_root)},
      {"transactionsRoot", hex(payload.transactions_root)},
      {"gasLimit", payload.gas_limit},
      {"gasUsed", payload.gas_used},
      {"baseFeePerGas", wei_to_decimal(wei_from_be(payload.base_fee_per_gas).value_or(0))},
      {"transactions", std::move(transactions)}};
}

json::value param(std::string_view params_json, const char* name) {
  json::value params;
  try {
    params = json::parse(params_json);
  } catch (const std::exception&) {
    throw RpcError(kInvalidParams, "params are not JSON");
  }
  if (params.is_array() && params.as_array().size() == 1) return params.as_array()[0];
  if (params.is_object() && params.as_object().contains(name)) return params.as_object().at(name);
  throw RpcError(kInvalidParams,
                 std::string("expected params [") + name + "] or {\"" + name + "\": ...}");
}

}  // namespace

std::string render_status(const StatusView& status) {
  json::object out{
      {"head", json::object{{"height", status.head_height},
                            {"hash", hex(status.head_hash)},
                            {"slot", status.head_slot}}},
      {"finalized", status.has_finalized
                        ? json::value(json::object{{"height", status.finalized_height},
                                                   {"hash", hex(status.finalized_hash)}})
                        : json::value(nullptr)},
      {"slot", status.current_slot},
      {"peers", 0},
      {"syncing", false},
      {"member_index",
       status.member_index ? json::value(*status.member_index) : json::value(nullptr)},
      {"producing", status.producing},
      {"pending_blocks", status.pending_blocks},
      {"auxpow", status.pow ? json::value(json::object{
                                  {"bits", hex_bits(status.pow->bits)},
                                  {"auxpow_height", status.pow->auxpow_height},
                                  {"unfinalized_blocks", status.pow->unfinalized},
                                  {"max_blocks_without_pow", status.pow->max_blocks_without_pow},
                                  {"production_paused", status.pow->paused}})
                            : json::value(nullptr)}};
  return json::serialize(out);
}

namespace {

json::object pegin_json(const PegIn& pegin) {
  return json::object{{"bitcoinTxid", hex(reversed(pegin.bitcoin_txid))},
                      {"vout", pegin.vout},
                      {"to", hex(pegin.to)},
                      {"amountSats", pegin.amount_sats}};
}

}  // namespace

std::string render_pegin(const PegIn& pegin) {
  json::object out = pegin_json(pegin);
  out["amountWei"] = wei_to_decimal(static_cast<Wei>(pegin.amount_sats) * kWeiPerSatoshi);
  return json::serialize(out);
}

std::string render_block(const SignedBlock& signed_block, const Hash32& hash) {
  const Block& block = signed_block.block;
  json::array pegins;
  for (const PegIn& pegin : block.pegins) pegins.push_back(pegin_json(pegin));
  json::array pegouts;
  for (const PegOutRequest& pegout : block.pegout_proposal)
    pegouts.push_back(json::object{{"burnTxHash", hex(pegout.burn_tx_hash)},
                                   {"scriptPubKey", pegout.bitcoin_script_pubkey_hex},
                                   {"amountSats", pegout.amount_sats}});
  json::array finalized;
  for (const Hash32& burn : block.finalized_pegouts) finalized.push_back(hex(burn));
  json::value auxpow = nullptr;
  if (!block.auxpow.empty()) {
    const AuxPowHeader& header = block.auxpow.front();
    auxpow = json::object{{"rangeStart", header.range_start},
                          {"rangeEnd", header.range_end},
                          {"bits", hex_bits(header.bits)},
                          {"chainId", header.chain_id},
                          {"height", header.height},
                          {"auxpow", hex(header.auxpow)},
                          {"feeRecipient", hex(header.fee_recipient)}};
  }
  json::array approvals;
  for (const Approval& approval : signed_block.approvals)
    approvals.push_back(
        json::object{{"member", approval.member_index}, {"signature", hex(approval.signature)}});
  json::object out{{"hash", hex(hash)},
                   {"height", block.height},
                   {"parentHash", hex(block.parent_hash)},
                   {"slot", block.slot},
                   {"timestamp", block.timestamp_ms},
                   {"author", block.author_index},
                   {"payload", payload_json(block.payload)},
                   {"pegins", std::move(pegins)},
                   {"pegoutProposal", std::move(pegouts)},
                   {"finalizedPegouts", std::move(finalized)},
                   {"auxpow", std::move(auxpow)},
                   {"approvals", std::move(approvals)}};
  return json::serialize(out);
}

std::string render_aux_block(const AuxBlockView& view) {
  // Namecoin's forms: hashes as RPC shows them (byte-reversed, "display order"), bits as 8 hex
  // digits, _target as the 256-bit target's little-endian bytes in hex.
  json::object out{{"hash", to_hex(reversed(view.aux_hash))},
                   {"chainid", view.chain_id},
                   {"previousblockhash", to_hex(reversed(view.previous))},
                   {"coinbasevalue", static_cast<std::uint64_t>(view.coinbase_value_gwei)},
                   {"bits", hex_bits(view.bits)},
                   {"height", view.height},
                   {"_target", to_hex(decode_compact(view.bits).target.to_le())}};
  return json::serialize(out);
}

std::optional<std::string> string_param(std::string_view params_json, std::size_t index) {
  json::value params;
  try {
    params = json::parse(params_json);
  } catch (const std::exception&) {
    throw RpcError(kInvalidParams, "params are not JSON");
  }
  if (params.is_object() && params.as_object().empty()) return std::nullopt;  // no params at all
  if (!params.is_array()) throw RpcError(kInvalidParams, "params must be an array");
  const json::array& list = params.as_array();
  if (index >= list.size()) return std::nullopt;
  if (!list[index].is_string())
    throw RpcError(kInvalidParams, "param " + std::to_string(index) + " must be a string");
  return std::string(list[index].as_string());
}

std::uint64_t parse_height_param(std::string_view params_json) {
  json::value height = param(params_json, "height");
  if (height.is_uint64()) return height.as_uint64();
  if (height.is_int64() && height.as_int64() >= 0)
    return static_cast<std::uint64_t>(height.as_int64());
  if (height.is_string()) {
    std::string_view text(height.as_string());
    if (text.starts_with("0x")) {
      auto value = wei_parse(text);
      if (value && *value <= ~std::uint64_t{0}) return static_cast<std::uint64_t>(*value);
    }
  }
  throw RpcError(kInvalidParams, "height must be a non-negative integer or a 0x quantity");
}

Hash32 parse_hash_param(std::string_view params_json) {
  json::value hash = param(params_json, "hash");
  if (hash.is_string())
    if (auto parsed = fixed_from_hex<32>(std::string_view(hash.as_string()))) return *parsed;
  throw RpcError(kInvalidParams, "hash must be 32 bytes of hex (\"0x\" + 64 hex digits)");
}

PegIn parse_pegin_params(std::string_view params_json) {
  json::value params;
  try {
    params = json::parse(params_json);
  } catch (const std::exception&) {
    throw RpcError(kInvalidParams, "params are not JSON");
  }
  static constexpr std::array<const char*, 4> kNames{"txid", "vout", "address", "amount_sats"};
  std::array<json::value, 4> fields;
  if (params.is_array() && params.as_array().size() == kNames.size()) {
    for (std::size_t i = 0; i < kNames.size(); ++i) fields[i] = params.as_array()[i];
  } else if (params.is_object()) {
    for (std::size_t i = 0; i < kNames.size(); ++i) {
      if (!params.as_object().contains(kNames[i]))
        throw RpcError(kInvalidParams, std::string("missing \"") + kNames[i] + "\"");
      fields[i] = params.as_object().at(kNames[i]);
    }
  } else {
    throw RpcError(kInvalidParams,
                   "expected params [txid, vout, address, amount_sats] or an object of them");
  }
  PegIn pegin;
  std::optional<Hash32> txid;
  if (fields[0].is_string()) {
    std::string_view text(fields[0].as_string());
    if (text.starts_with("0x")) text.remove_prefix(2);
    if (text.size() == 64) txid = fixed_from_hex<32>(text);
  }
  if (!txid)
    throw RpcError(kInvalidParams, "txid must be 32 bytes as 64 hex digits, in display order");
  pegin.bitcoin_txid = reversed(*txid);
  if (fields[1].is_uint64() && fields[1].as_uint64() <= 0xffffffffULL)
    pegin.vout = static_cast<std::uint32_t>(fields[1].as_uint64());
  else if (fields[1].is_int64() && fields[1].as_int64() >= 0 &&
           fields[1].as_int64() <= 0xffffffffLL)
    pegin.vout = static_cast<std::uint32_t>(fields[1].as_int64());
  else
    throw RpcError(kInvalidParams, "vout must be an integer from 0 to 4294967295");
  std::optional<EthAddress> address;
  if (fields[2].is_string() && std::string_view(fields[2].as_string()).starts_with("0x"))
    address = fixed_from_hex<20>(std::string_view(fields[2].as_string()));
  if (!address)
    throw RpcError(kInvalidParams,
                   "address must be a 20-byte hex address (\"0x\" + 40 hex digits)");
  pegin.to = *address;
  if (fields[3].is_uint64())
    pegin.amount_sats = fields[3].as_uint64();
  else if (fields[3].is_int64() && fields[3].as_int64() >= 0)
    pegin.amount_sats = static_cast<std::uint64_t>(fields[3].as_int64());
  else
    throw RpcError(kInvalidParams, "amount_sats must be a non-negative integer (satoshis)");
  if (pegin.amount_sats == 0) throw RpcError(kInvalidParams, "amount_sats is 0: nothing to mint");
  return pegin;
}

}  // namespace alys::chain
