// The network role's I/O side: a Boost.Asio io_context on its own threads ([network] io_threads)
// that listens, dials the configured peers with backoff, runs each connection's handshake and
// secure channel, enforces the per-peer rate limits and the one-connection-per-key rule, and
// writes the frames the actor queues. It decodes nothing: frames go to the actor as bytes
// (TransportEvents), and the actor decides what they mean.
//
// Thread-safety: every public member may be called from the actor's thread while the I/O threads
// run; they share state under one mutex (mutex_) and a mutex per connection (its queue). The
// events are called from I/O threads only, and never after stop() returns.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alys/domain/hash.hpp"
#include "alys/domain/secp256k1.hpp"
#include "network_config.hpp"
#include "outbound_queue.hpp"
#include "transport_events.hpp"

namespace alys::network {

class Connection;
struct DialTarget;

struct TransportSettings {
  NetworkConfig config;
  SecretKey node_key;
  std::uint64_t chain_id = 0;
  Hash32 genesis_hash{};
  std::set<XOnlyPublicKey> allowed;  // the spec's members and [network] peers
};

// One row of network_peers as the transport sees it.
struct LinkView {
  XOnlyPublicKey key{};
  std::string state;  // connected, dialling, backoff, idle
  std::optional<ConnectionId> connection;
  std::string address;    // the remote address when connected, else the configured one
  std::string direction;  // inbound/outbound when connected
  std::uint64_t connected_since_ms = 0;  // unix ms
  std::uint64_t messages_in = 0, messages_out = 0, bytes_in = 0, bytes_out = 0;
  std::uint64_t queued = 0, dropped = 0;
  bool fault_dropped = false;
};

class Transport {
 public:
  // `events` must outlive the transport.
  Transport(TransportSettings settings, TransportEvents& events);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds the listener (throws std::runtime_error naming the address when it cannot), starts the
  // I/O threads and dials every peer with an address.
  void start();
  // Closes the listener and every connection, cancels the dials and joins the I/O threads.
  // Idempotent. After it returns no event is called.
  void stop();

  // Queues one frame for `id`. False when that connection is gone.
  bool send(ConnectionId id, Bytes frame, bool consensus);
  // Closes `id` (no event but disconnected()).
  void disconnect(ConnectionId id, const std::string& why);
  // A banned key's handshake is refused and a banned address's connection is not accepted;
  // banning a connected key closes it. Loopback addresses are never banned (every node of a
  // local federation shares them).
  void set_banned(const XOnlyPublicKey& key, bool banned);
  void set_banned_ip(const std::string& ip, bool banned);
  static bool bannable_ip(const std::string& ip);
  // Fault injection: frames to and from these keys are discarded silently; connections stay.
  void set_fault_dropped(const std::set<XOnlyPublicKey>& keys);

  // Frames a previous instance had queued for `key`: written first when `key` next connects.
  void requeue(const XOnlyPublicKey& key, std::vector<OutboundFrame> frames);
  // After stop(): every frame still queued, by key (connections and requeued ones alike).
  std::map<XOnlyPublicKey, std::vector<OutboundFrame>> take_unsent();

  std::string listen_address() const;
  std::vector<LinkView> links() const;

 private:
  friend class Connection;
  void accept_next();
  void dial(const std::shared_ptr<DialTarget>& target);
  void connect(const std::shared_ptr<DialTarget>& target,
               boost::asio::ip::tcp::resolver::results_type results);
  void schedule_dial(const std::shared_ptr<DialTarget>& target, std::uint64_t delay_ms);
  // From a connection's strand. Returns false when the connection must close (refused).
  bool on_handshake_done(const std::shared_ptr<Connection>& connection);
  void on_closed(const std::shared_ptr<Connection>& connection, const std::string& why,
                 bool was_connected);
  bool fault_dropped(const XOnlyPublicKey& key) const;

  struct Io;
  TransportSettings settings_;
  TransportEvents& events_;
  std::unique_ptr<Io> io_;
  std::vector<std::thread> threads_;

  mutable std::mutex mutex_;
  bool stopping_ = false;
  std::string listen_address_;
  std::map<ConnectionId, std::shared_ptr<Connection>> connections_;  // every open one
  std::map<XOnlyPublicKey, ConnectionId> by_key_;                    // the kept one per key
  std::map<XOnlyPublicKey, std::shared_ptr<DialTarget>> dial_targets_;
  std::set<XOnlyPublicKey> banned_keys_;
  std::set<std::string> banned_ips_;
  std::set<XOnlyPublicKey> fault_dropped_;
  std::map<XOnlyPublicKey, std::vector<OutboundFrame>> requeued_;
  std::map<XOnlyPublicKey, std::vector<OutboundFrame>> unsent_;
  std::atomic<ConnectionId> next_id_{1};
};

}  // namespace alys::network
