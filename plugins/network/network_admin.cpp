// The role's admin methods (network_peers, network_fault) and its gauges.
#include <boost/json.hpp>

#include "alys/json_rpc.hpp"
#include "network_actor.hpp"

namespace alys::network {
namespace {

namespace json = boost::json;

}  // namespace

void NetworkActor::register_admin() {
  rpc("network_peers", 0, [this](std::string_view) { return peers_json(); });
  rpc("network_fault", ALYS_RPC_MUTATING,
      [this](std::string_view params) { return fault(params); });
}

std::string NetworkActor::peers_json() const {
  const std::uint64_t now = context().now_ms();
  json::object self;
  self["key"] = to_hex(self_key_);
  self["identity"] = spec_ ? identity(self_key_) : "unknown (waiting for the chain spec)";
  self["listen"] = listen_address_;
  if (spec_) {
    self["chain_id"] = spec_->chain_id;
    self["genesis_hash"] = to_hex(spec_->genesis_hash);
  }

  // Every key this node knows of: configured peers, spec members, connected and scored ones.
  std::map<XOnlyPublicKey, json::object> rows;
  auto row = [&](const XOnlyPublicKey& key) -> json::object& {
    auto [it, inserted] = rows.try_emplace(key);
    if (inserted) {
      json::object& r = it->second;
      r["key"] = to_hex(key);
      r["identity"] = identity(key);
      auto index = member_index(key);
      r["member_index"] = index ? json::value(*index) : json::value(nullptr);
      r["address"] = "";
      r["direction"] = "";
      r["state"] = "idle";
      r["score"] = 0;
      r["messages_in"] = 0;
      r["messages_out"] = 0;
      r["bytes_in"] = 0;
      r["bytes_out"] = 0;
      r["connected_since_ms"] = 0;
      r["queued"] = 0;
      r["dropped"] = 0;
      r["fault_dropped"] = fault_dropped_.contains(key);
    }
    return it->second;
  };
  for (const ConfiguredPeer& peer : config_.peers) {
    json::object& r = row(peer.key);
    if (peer.address) r["address"] = peer.address->to_string();
  }
  if (spec_)
    for (const XOnlyPublicKey& member : spec_->members)
      if (member != self_key_) row(member);
  if (transport_) {
    for (const LinkView& link : transport_->links()) {
      json::object& r = row(link.key);
      r["state"] = link.state;
      r["address"] = link.address;
      r["direction"] = link.direction;
      r["messages_in"] = link.messages_in;
      r["messages_out"] = link.messages_out;
      r["bytes_in"] = link.bytes_in;
      r["bytes_out"] = link.bytes_out;
      r["connected_since_ms"] = link.connected_since_ms;
      r["queued"] = link.queued;
      r["dropped"] = link.dropped;
      r["fault_dropped"] = link.fault_dropped;
      if (link.connection && gossip_) {
        if (auto view = gossip_->peer_view(*link.connection); view && view->has_status) {
          json::object status;
          status["head_height"] = view->status.head_height;
          status["head_hash"] = to_hex(view->status.head_hash);
          if (view->status.has_finalized)
            status["finalized_height"] = view->status.finalized_height;
          else
            status["finalized_height"] = nullptr;
          r["status"] = std::move(status);
        }
      }
    }
  }
  for (const auto& [key, record] : book_.records()) {
    json::object& r = row(key);
    r["score"] = record.score;
    r["offences"] = record.offences;
    if (record.banned_until_ms > now) {
      r["state"] = "banned";
      r["banned_until_ms"] = record.banned_until_ms;
    }
  }
  json::array peers;
  for (auto& [key, r] : rows) {
    if (!r.contains("status")) r["status"] = nullptr;
    peers.push_back(std::move(r));
  }
  json::array ip_bans;
  for (const auto& [ip, until] : book_.banned_ips())
    if (until > now) ip_bans.push_back(json::object{{"ip", ip}, {"until_ms", until}});
  json::object result;
  result["self"] = std::move(self);
  result["peers"] = std::move(peers);
  result["banned_addresses"] = std::move(ip_bans);
  return json::serialize(result);
}

std::string NetworkActor::fault(std::string_view params_json) {
  if (!config_.fault_injection)
    throw RpcError(json_rpc::kInvalidRequest,
                   "network_fault is disabled on this node: it needs [network] "
                   "fault_injection = true (for tests only)");
  json::error_code error;
  json::value params = json::parse(params_json, error);
  // Either {"drop": [...]} or the same object as the only positional parameter.
  if (!error && params.is_array() && params.as_array().size() == 1) params = params.as_array()[0];
  const json::value* drop =
      !error && params.is_object() ? params.as_object().if_contains("drop") : nullptr;
  if (drop == nullptr || !drop->is_array())
    throw RpcError(json_rpc::kInvalidParams,
                   "expected {\"drop\": [\"<public key hex>\", ...]} ([] heals)");
  std::set<XOnlyPublicKey> keys;
  for (const json::value& item : drop->as_array()) {
    auto key = item.is_string() ? fixed_from_hex<32>(std::string(item.as_string())) : std::nullopt;
    if (!key)
      throw RpcError(json_rpc::kInvalidParams,
                     "drop: every entry must be a public key of 64 hex digits");
    keys.insert(*key);
  }
  fault_dropped_ = keys;
  if (transport_) transport_->set_fault_dropped(keys);
  context().log(LogLevel::warn, keys.empty() ? "fault injection: healed, no traffic dropped"
                                             : "fault injection: dropping all traffic to and "
                                               "from " +
                                                   std::to_string(keys.size()) + " peers");
  json::array dropping;
  for (const XOnlyPublicKey& key : keys) dropping.push_back(json::string(to_hex(key)));
  return json::serialize(json::object{{"dropping", std::move(dropping)}});
}

void NetworkActor::publish_gauges() {
  context().gauge_set("network_peers_connected", static_cast<double>(links_.size()));
  context().gauge_set("network_peers_banned",
                      static_cast<double>(book_.banned_count(context().now_ms())));
  if (!gossip_) return;
  const GossipStats stats = gossip_->stats();
  context().gauge_set("network_sync_target_height", static_cast<double>(stats.sync_target_height));
  context().gauge_set("network_head_height", static_cast<double>(stats.head_height));
  context().gauge_set("network_seen_cache_entries", static_cast<double>(stats.seen_cache_entries));
  context().gauge_set("network_recent_consensus_messages",
                      static_cast<double>(stats.recent_consensus_messages));
  context().gauge_set("network_syncing", stats.syncing ? 1.0 : 0.0);
  // The engine counts from its construction (or its restored state); /metrics gets the growth.
  auto grow = [this](const char* name, std::uint64_t now_value, std::uint64_t& last) {
    if (now_value > last) context().counter_add(name, now_value - last);
    last = now_value;
  };
  grow("network_blocks_synced_total", stats.blocks_synced_total, last_stats_.blocks_synced_total);
  grow("network_relayed_total", stats.relayed_total, last_stats_.relayed_total);
  grow("network_duplicates_total", stats.duplicates_total, last_stats_.duplicates_total);
  grow("network_sync_requests_timed_out_total", stats.sync_requests_timed_out_total,
       last_stats_.sync_requests_timed_out_total);
  grow("network_stall_replays_total", stats.stall_replays_total, last_stats_.stall_replays_total);
  grow("network_approvals_ignored_total", stats.approvals_ignored_total,
       last_stats_.approvals_ignored_total);
}

}  // namespace alys::network
