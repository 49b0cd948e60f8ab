// One TCP connection to a peer: its handshake (wire/handshake.hpp) under a timeout, then the
// secure channel (wire/secure_channel.hpp) both ways, the peer's rate limits, and the frames the
// actor queued for it. Private to the transport.
//
// Thread-safety: the socket, the handshake, the channel and the buckets belong to the
// connection's strand; the outbound queue is shared with the actor's thread under queue_mutex_;
// the counters are atomics any thread reads.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dial_backoff.hpp"
#include "outbound_queue.hpp"
#include "token_bucket.hpp"
#include "transport.hpp"
#include "wire/handshake.hpp"
#include "wire/secure_channel.hpp"

namespace alys::network {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A peer this node dials: its address, backoff and state. Guarded by the transport's mutex_;
// the timer runs on the io_context.
struct DialTarget {
  DialTarget(asio::io_context& io, XOnlyPublicKey key_, Endpoint address_, DialBackoff backoff_)
      : key(key_), address(std::move(address_)), backoff(backoff_), timer(io) {}
  XOnlyPublicKey key;
  Endpoint address;
  DialBackoff backoff;
  asio::steady_timer timer;
  std::shared_ptr<tcp::socket> connecting;   // the dial in flight, closed by stop()
  std::shared_ptr<tcp::resolver> resolving;  // the host name lookup in flight, cancelled by stop()
  std::string state = "idle";                // dialling, backoff, connected, banned
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `dialled`: the key an outbound connection was dialled for (its DialTarget's); unset inbound.
  Connection(Transport& transport, ConnectionId id, tcp::socket socket,
             std::optional<XOnlyPublicKey> dialled, wire::HandshakeConfig handshake,
             const NetworkConfig& config);

  // Sends our Hello and starts reading, with the handshake timeout armed.
  void start();
  // Closes the socket (on the strand); `offence` is reported to the actor first when set.
  void close(std::string why, std::optional<Offence> offence = std::nullopt);

  // From any thread: queues a frame and wakes the writer. False once the connection is closed.
  bool push(OutboundFrame frame);
  std::vector<OutboundFrame> drain_queue();

  ConnectionId id() const { return id_; }
  Direction direction() const { return direction_; }
  const std::optional<XOnlyPublicKey>& dialled() const { return dialled_; }
  const std::string& remote_ip() const { return remote_ip_; }
  const std::string& remote_address() const { return remote_address_; }
  // Set once the handshake is done (strand), read afterwards by anyone.
  std::optional<XOnlyPublicKey> peer_key() const;
  std::uint64_t connected_since_ms() const { return since_ms_.load(); }
  std::uint64_t queued() const;
  // How long nothing has been read from the peer (steady ms).
  std::uint64_t silent_ms() const;
  std::uint64_t dropped() const;

  std::atomic<std::uint64_t> messages_in{0}, messages_out{0}, bytes_in{0}, bytes_out{0};
  std::atomic<bool> fault_dropped{false};

 private:
  void read();
  void on_read(std::size_t size);
  void handshake_bytes(ByteView bytes);
  void channel_bytes(ByteView bytes);
  void write();
  void close_on_strand(const std::string& why, std::optional<Offence> offence = std::nullopt);
  // Keepalive: pings an idle connection, closes a silent one (docs/network.md, "Keepalive").
  void arm_keepalive();
  void on_keepalive();
  // Answers a Ping, swallows a Pong; false for any other frame (the actor's).
  bool keepalive_frame(const Bytes& frame);

  Transport& transport_;
  ConnectionId id_;
  tcp::socket socket_;
  asio::strand<asio::any_io_executor> strand_;
  asio::steady_timer handshake_timer_;
  asio::steady_timer keepalive_timer_;
  Direction direction_;
  std::optional<XOnlyPublicKey> dialled_;
  std::string remote_ip_;
  std::string remote_address_;
  std::uint64_t handshake_timeout_ms_;
  std::uint64_t idle_timeout_ms_;
  std::uint64_t ping_interval_ms_;
  std::uint64_t last_write_ms_ = 0;  // strand
  std::uint64_t next_ping_nonce_ = 1;
  std::atomic<std::uint64_t> last_read_ms_{0};

  std::optional<wire::Handshake> handshake_;
  std::optional<wire::Opener> opener_;
  std::optional<wire::Sealer> sealer_;
  TokenBucket message_bucket_;
  TokenBucket byte_bucket_;
  std::array<std::uint8_t, 64 * 1024> read_buffer_{};
  Bytes handshake_out_;  // Hello/Auth bytes not yet written
  Bytes write_buffer_;   // the records of the write in flight
  bool writing_ = false;
  bool closed_ = false;  // strand
  bool connected_ = false;

  mutable std::mutex queue_mutex_;
  OutboundQueue queue_;
  bool queue_closed_ = false;
  std::optional<XOnlyPublicKey> key_;
  std::atomic<std::uint64_t> since_ms_{0};
};

}  // namespace alys::network
