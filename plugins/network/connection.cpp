#include "connection.hpp"

#include <chrono>
#include <utility>

namespace alys::network {
namespace {

std::uint64_t steady_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// Frames queued for one peer: enough for a burst of gossip and a sync answer or two.
constexpr std::size_t kQueueFrames = 4096;
constexpr std::size_t kQueueBytes = 64 * 1024 * 1024;
// Records sealed into one socket write at most.
constexpr std::size_t kWriteBatch = 64;

bool is_keepalive(const Bytes& frame) {
  return frame.size() >= wire::kFrameHeaderSize &&
         (frame[1] == static_cast<std::uint8_t>(wire::MessageType::ping) ||
          frame[1] == static_cast<std::uint8_t>(wire::MessageType::pong));
}

Offence offence_of(wire::HandshakeFailure failure) {
  switch (failure) {
    case wire::HandshakeFailure::wrong_chain:
    case wire::HandshakeFailure::wrong_genesis:
      return Offence::wrong_chain;
    case wire::HandshakeFailure::unknown_key:
      return Offence::unknown_key;
    // The first byte is the protocol version: bytes that are no Hello at all fail here.
    case wire::HandshakeFailure::wrong_version:
    case wire::HandshakeFailure::malformed:
      return Offence::garbage;
    case wire::HandshakeFailure::none:
    case wire::HandshakeFailure::self_connection:
    case wire::HandshakeFailure::bad_signature:
      break;
  }
  return Offence::bad_handshake;
}

}  // namespace

Connection::Connection(Transport& transport, ConnectionId id, tcp::socket socket,
                       std::optional<XOnlyPublicKey> dialled, wire::HandshakeConfig handshake,
                       const NetworkConfig& config)
    : transport_(transport),
      id_(id),
      socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      handshake_timer_(strand_),
      keepalive_timer_(strand_),
      direction_(dialled ? Direction::outbound : Direction::inbound),
      dialled_(dialled),
      handshake_timeout_ms_(config.handshake_timeout_ms),
      idle_timeout_ms_(config.idle_timeout_ms),
      ping_interval_ms_(ping_interval_ms(config)),
      last_write_ms_(steady_ms()),
      last_read_ms_(steady_ms()),
      message_bucket_(config.max_messages_per_second, steady_ms()),
      byte_bucket_(config.max_bytes_per_second, steady_ms()),
      queue_(kQueueFrames, kQueueBytes) {
  boost::system::error_code error;
  auto remote = socket_.remote_endpoint(error);
  if (!error) {
    remote_ip_ = remote.address().to_string();
    remote_address_ = Endpoint{remote_ip_, remote.port()}.to_string();
  }
  socket_.set_option(tcp::no_delay(true), error);
  handshake_.emplace(std::move(handshake), direction_ == Direction::outbound
                                               ? wire::HandshakeRole::initiator
                                               : wire::HandshakeRole::responder);
}

void Connection::start() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    // Closed before it started (the transport stops): a timer armed now would hold stop()'s join
    // for the whole handshake timeout.
    if (self->closed_) return;
    self->handshake_timer_.expires_after(std::chrono::milliseconds(self->handshake_timeout_ms_));
    self->handshake_timer_.async_wait([self](const boost::system::error_code& error) {
      if (!error && !self->connected_ && !self->closed_)
        // A slow or vanished peer, not a wrong one: no offence, no ban of its address.
        self->close_on_strand("no handshake within the timeout");
    });
    Bytes hello = self->handshake_->take_output();
    self->handshake_out_.insert(self->handshake_out_.end(), hello.begin(), hello.end());
    self->write();
    self->read();
  });
}

void Connection::close(std::string why, std::optional<Offence> offence) {
  asio::dispatch(strand_, [self = shared_from_this(), why = std::move(why), offence] {
    self->close_on_strand(why, offence);
  });
}

void Connection::close_on_strand(const std::string& why, std::optional<Offence> offence) {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lock(queue_mutex_);
    queue_closed_ = true;
  }
  boost::system::error_code ignored;
  handshake_timer_.cancel();
  keepalive_timer_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (offence) transport_.events_.offence(key_, remote_ip_, *offence, why);
  transport_.on_closed(shared_from_this(), why, connected_);
}

bool Connection::push(OutboundFrame frame) {
  {
    std::lock_guard lock(queue_mutex_);
    if (queue_closed_) return false;
    queue_.push(std::move(frame));
  }
  asio::post(strand_, [self = shared_from_this()] { self->write(); });
  return true;
}

std::vector<OutboundFrame> Connection::drain_queue() {
  std::lock_guard lock(queue_mutex_);
  return queue_.drain();
}

std::optional<XOnlyPublicKey> Connection::peer_key() const {
  std::lock_guard lock(queue_mutex_);
  return key_;
}

std::uint64_t Connection::queued() const {
  std::lock_guard lock(queue_mutex_);
  return queue_.size();
}

std::uint64_t Connection::silent_ms() const {
  const std::uint64_t now = steady_ms(), last = last_read_ms_.load();
  return now > last ? now - last : 0;
}

std::uint64_t Connection::dropped() const {
  std::lock_guard lock(queue_mutex_);
  return queue_.dropped();
}

void Connection::read() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      asio::bind_executor(strand_, [self = shared_from_this()](
                                       const boost::system::error_code& error, std::size_t size) {
        if (self->closed_) return;
        if (error) {
          self->close_on_strand(error == asio::error::eof ? "the peer closed the connection"
                                                          : "read failed: " + error.message());
          return;
        }
        self->on_read(size);
      }));
}

void Connection::on_read(std::size_t size) {
  last_read_ms_ = steady_ms();
  ByteView bytes(read_buffer_.data(), size);
  if (!connected_)
    handshake_bytes(bytes);
  else
    channel_bytes(bytes);
  if (!closed_) read();
}

void Connection::handshake_bytes(ByteView bytes) {
  const auto state = handshake_->receive(bytes);
  Bytes out = handshake_->take_output();
  handshake_out_.insert(handshake_out_.end(), out.begin(), out.end());
  if (state == wire::Handshake::State::failed) {
    const auto failure = handshake_->failure();
    if (failure == wire::HandshakeFailure::self_connection) {
      close_on_strand("a connection to ourselves");
      return;
    }
    close_on_strand(std::string(wire::to_string(failure)) + ": " + handshake_->failure_message(),
                    offence_of(failure));
    return;
  }
  if (state != wire::Handshake::State::done) {
    write();
    return;
  }
  handshake_timer_.cancel();
  const wire::SessionKeys& keys = handshake_->keys();
  {
    std::lock_guard lock(queue_mutex_);
    key_ = keys.peer;
  }
  sealer_.emplace(keys.send_key);
  opener_.emplace(keys.receive_key);
  write();                                                        // our Auth, whatever happens next
  if (!transport_.on_handshake_done(shared_from_this())) return;  // it closed us
  connected_ = true;
  since_ms_ = unix_ms();
  arm_keepalive();
  Bytes leftover = handshake_->take_leftover();
  if (!leftover.empty()) channel_bytes(leftover);
  write();
}

void Connection::channel_bytes(ByteView bytes) {
  std::vector<Bytes> frames;
  const wire::ChannelFailure failure = opener_->feed(bytes, frames);
  // Frames opened before a failure were authentic: they still go to the actor.
  for (Bytes& frame : frames) {
    if (closed_) return;
    const std::uint64_t now = steady_ms();
    if (!message_bucket_.take(1, now) || !byte_bucket_.take(frame.size(), now)) {
      close_on_strand("more than max_messages_per_second or max_bytes_per_second",
                      Offence::rate_limit);
      return;
    }
    messages_in.fetch_add(1);
    bytes_in.fetch_add(frame.size());
    // Keepalive is the connection's, not the gossip's: a fault-injected partition drops
    // messages while the connections stay up, as network_fault promises.
    if (keepalive_frame(frame)) continue;
    if (fault_dropped.load()) continue;
    transport_.events_.frame(id_, std::move(frame));
  }
  if (failure == wire::ChannelFailure::oversize_record)
    close_on_strand("a record above the frame cap", Offence::oversize);
  else if (failure == wire::ChannelFailure::authentication_failed)
    close_on_strand("a record failed authentication (tampered, replayed or reordered)",
                    Offence::authentication);
}

void Connection::write() {
  if (writing_ || closed_) return;
  write_buffer_.clear();
  write_buffer_.swap(handshake_out_);
  if (sealer_ && connected_) {
    std::vector<OutboundFrame> batch;
    {
      std::lock_guard lock(queue_mutex_);
      while (!queue_.empty() && batch.size() < kWriteBatch) batch.push_back(queue_.pop());
    }
    for (const OutboundFrame& frame : batch) {
      if (fault_dropped.load() && !is_keepalive(frame.plaintext)) continue;
      sealer_->seal_into(frame.plaintext, write_buffer_);
      messages_out.fetch_add(1);
      bytes_out.fetch_add(frame.plaintext.size());
    }
  }
  if (write_buffer_.empty()) return;
  writing_ = true;
  last_write_ms_ = steady_ms();
  asio::async_write(
      socket_, asio::buffer(write_buffer_),
      asio::bind_executor(strand_, [self = shared_from_this()](
                                       const boost::system::error_code& error, std::size_t) {
        self->writing_ = false;
        if (self->closed_) return;
        if (error) {
          self->close_on_strand("write failed: " + error.message());
          return;
        }
        self->write();
      }));
}

void Connection::arm_keepalive() {
  keepalive_timer_.expires_after(std::chrono::milliseconds(ping_interval_ms_));
  keepalive_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error && !self->closed_) self->on_keepalive();
  });
}

void Connection::on_keepalive() {
  const std::uint64_t now = steady_ms();
  if (silent_ms() >= idle_timeout_ms_) {
    // Half-open or hung: no offence, the peer may well be honest; a dialled peer is redialled.
    close_on_strand("silent for " + std::to_string(silent_ms()) + " ms");
    return;
  }
  // Whatever we write proves us alive to the peer; a Ping also makes it answer, so that a quiet
  // but live peer is never taken for a dead one.
  if (now - last_write_ms_ >= ping_interval_ms_ || silent_ms() >= ping_interval_ms_) {
    if (auto ping = wire::encode_frame(wire::Ping{next_ping_nonce_++}))
      push(OutboundFrame{std::move(*ping), false});
  }
  arm_keepalive();
}

bool Connection::keepalive_frame(const Bytes& frame) {
  if (!is_keepalive(frame)) return false;
  wire::DecodedFrame decoded = wire::decode_frame(frame);
  if (!decoded.ok()) return false;  // the actor judges it (garbage)
  if (const auto* ping = std::get_if<wire::Ping>(&*decoded.message)) {
    if (auto pong = wire::encode_frame(wire::Pong{ping->nonce}))
      push(OutboundFrame{std::move(*pong), false});
  }
  return true;
}

}  // namespace alys::network
