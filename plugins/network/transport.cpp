#include "transport.hpp"

#include <stdexcept>
#include <utility>

#include "connection.hpp"

namespace alys::network {

struct Transport::Io {
  asio::io_context context;
  asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
  tcp::acceptor acceptor{context};
  // The acceptor is touched by its accept handler and by stop(): on one strand, whatever
  // io_threads is.
  asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(context)};
};

Transport::Transport(TransportSettings settings, TransportEvents& events)
    : settings_(std::move(settings)), events_(events), io_(std::make_unique<Io>()) {}

Transport::~Transport() { stop(); }

void Transport::start() {
  const Endpoint& listen = settings_.config.listen;
  boost::system::error_code error;
  tcp::resolver resolver(io_->context);
  auto resolved = resolver.resolve(listen.host, std::to_string(listen.port),
                                   tcp::resolver::passive | tcp::resolver::numeric_service, error);
  if (error || resolved.empty())
    throw std::runtime_error("network.listen " + listen.to_string() +
                             " does not resolve: " + error.message());
  const tcp::endpoint endpoint = resolved.begin()->endpoint();
  io_->acceptor.open(endpoint.protocol(), error);
  if (!error) io_->acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) io_->acceptor.bind(endpoint, error);
  if (!error) io_->acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    throw std::runtime_error("cannot listen on " + listen.to_string() + ": " + error.message());
  const tcp::endpoint bound = io_->acceptor.local_endpoint();
  {
    std::lock_guard lock(mutex_);
    listen_address_ = Endpoint{bound.address().to_string(), bound.port()}.to_string();
    std::uint64_t seed = settings_.node_key.xonly_public_key()[0];
    for (const ConfiguredPeer& peer : settings_.config.peers) {
      if (!peer.address) continue;
      auto target = std::make_shared<DialTarget>(
          io_->context, peer.key, *peer.address,
          DialBackoff(settings_.config.dial_backoff_min_ms, settings_.config.dial_backoff_max_ms,
                      seed++ * 7919 + peer.key[0]));
      dial_targets_.emplace(peer.key, target);
    }
  }
  events_.listening(listen_address());
  asio::post(io_->accept_strand, [this] { accept_next(); });
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, target] : dial_targets_) {
      target->state = "dialling";
      asio::post(io_->context, [this, target] { dial(target); });
    }
  }
  for (std::uint32_t i = 0; i < settings_.config.io_threads; ++i)
    threads_.emplace_back([this] {
      // An exception here would terminate the node: handlers catch their own; this is the net.
      for (;;) {
        try {
          io_->context.run();
          return;
        } catch (...) {
        }
      }
    });
}

void Transport::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, connection] : connections_) open.push_back(connection);
  }
  // Close on the I/O threads (each socket belongs to its strand), then let the threads finish
  // what is queued and join them.
  asio::post(io_->accept_strand, [this] {
    boost::system::error_code ignored;
    io_->acceptor.close(ignored);
  });
  asio::post(io_->context, [this] {
    boost::system::error_code ignored;
    std::lock_guard lock(mutex_);
    for (auto& [key, target] : dial_targets_) {
      target->timer.cancel();
      if (target->resolving) target->resolving->cancel();
      if (target->connecting) target->connecting->close(ignored);
    }
  });
  for (const auto& connection : open) connection->close("the network plugin stops");
  io_->work.reset();
  for (std::thread& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
  std::lock_guard lock(mutex_);
  for (const auto& connection : open) {
    auto key = connection->peer_key();
    auto frames = connection->drain_queue();
    if (!key || frames.empty()) continue;
    auto& out = unsent_[*key];
    out.insert(out.end(), std::make_move_iterator(frames.begin()),
               std::make_move_iterator(frames.end()));
  }
  for (auto& [key, frames] : requeued_) {
    auto& out = unsent_[key];
    out.insert(out.begin(), std::make_move_iterator(frames.begin()),
               std::make_move_iterator(frames.end()));
  }
  requeued_.clear();
}

void Transport::accept_next() {
  io_->acceptor.async_accept(asio::bind_executor(
      io_->accept_strand, [this](const boost::system::error_code& error, tcp::socket socket) {
        if (error == asio::error::operation_aborted || !io_->acceptor.is_open()) return;
        if (!error) {
          boost::system::error_code remote_error;
          const auto remote = socket.remote_endpoint(remote_error);
          const std::string ip = remote_error ? std::string() : remote.address().to_string();
          std::shared_ptr<Connection> connection;
          std::string refusal;
          {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
            if (banned_ips_.contains(ip))
              refusal = "banned_address";
            else if (connections_.size() >=
                     2 * static_cast<std::size_t>(settings_.config.max_peers))
              refusal = "max_peers";
            if (refusal.empty()) {
              const ConnectionId id = next_id_++;
              connection = std::make_shared<Connection>(
                  *this, id, std::move(socket), std::nullopt,
                  wire::HandshakeConfig{settings_.node_key, settings_.chain_id,
                                        settings_.genesis_hash,
                                        [allowed = settings_.allowed](const XOnlyPublicKey& key) {
                                          return allowed.contains(key);
                                        }},
                  settings_.config);
              connections_.emplace(id, connection);
            }
          }
          if (connection)
            connection->start();
          else
            events_.refused(refusal);
        }
        accept_next();
      }));
}

void Transport::dial(const std::shared_ptr<DialTarget>& target) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (by_key_.contains(target->key)) {
      target->state = "connected";
      return;
    }
    if (banned_keys_.contains(target->key)) {
      target->state = "banned";
      return;
    }
    target->state = "dialling";
  }
  // An address literal needs no lookup: only a host name goes to the resolver, whose lookup
  // stop() cancels (one already inside getaddrinfo still holds stop() until it returns).
  boost::system::error_code literal_error;
  const auto literal = asio::ip::make_address(target->address.host, literal_error);
  if (!literal_error) {
    const tcp::endpoint endpoint(literal, target->address.port);
    connect(target, tcp::resolver::results_type::create(endpoint, target->address.host,
                                                        std::to_string(target->address.port)));
    return;
  }
  auto resolver = std::make_shared<tcp::resolver>(io_->context);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    target->resolving = resolver;
  }
  resolver->async_resolve(target->address.host, std::to_string(target->address.port),
                          [this, target, resolver](const boost::system::error_code& error,
                                                   tcp::resolver::results_type results) {
                            {
                              std::lock_guard lock(mutex_);
                              target->resolving.reset();
                              if (stopping_) return;
                            }
                            if (error) {
                              std::uint64_t delay;
                              {
                                std::lock_guard lock(mutex_);
                                delay = target->backoff.next_delay();
                              }
                              schedule_dial(target, delay);
                              return;
                            }
                            connect(target, std::move(results));
                          });
}

void Transport::connect(const std::shared_ptr<DialTarget>& target,
                        tcp::resolver::results_type results) {
  auto socket = std::make_shared<tcp::socket>(io_->context);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    target->connecting = socket;
  }
  asio::async_connect(
      *socket, results,
      [this, target, socket](const boost::system::error_code& connect_error, const tcp::endpoint&) {
        std::shared_ptr<Connection> connection;
        std::uint64_t delay = 0;
        {
          std::lock_guard lock(mutex_);
          target->connecting.reset();
          if (stopping_) return;
          if (connect_error) {
            delay = target->backoff.next_delay();
          } else if (by_key_.contains(target->key)) {
            target->state = "connected";  // the peer dialled us meanwhile
            return;
          } else {
            const ConnectionId id = next_id_++;
            connection = std::make_shared<Connection>(
                *this, id, std::move(*socket), target->key,
                wire::HandshakeConfig{settings_.node_key, settings_.chain_id,
                                      settings_.genesis_hash,
                                      [expected = target->key](const XOnlyPublicKey& key) {
                                        return key == expected;
                                      }},
                settings_.config);
            connections_.emplace(id, connection);
          }
        }
        if (connection)
          connection->start();
        else
          schedule_dial(target, delay);
      });
}

void Transport::schedule_dial(const std::shared_ptr<DialTarget>& target, std::uint64_t delay_ms) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  target->state = "backoff";
  target->timer.expires_after(std::chrono::milliseconds(delay_ms));
  target->timer.async_wait([this, target](const boost::system::error_code& error) {
    if (!error) dial(target);
  });
}

bool Transport::on_handshake_done(const std::shared_ptr<Connection>& connection) {
  const XOnlyPublicKey key = *connection->peer_key();
  const XOnlyPublicKey self = settings_.node_key.xonly_public_key();
  std::shared_ptr<Connection> replaced;
  std::string refusal;
  std::vector<OutboundFrame> requeued;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      refusal = "stopping";
    } else if (banned_keys_.contains(key)) {
      refusal = "banned";
    } else if (by_key_.size() >= settings_.config.max_peers && !by_key_.contains(key)) {
      refusal = "max_peers";
    } else if (auto existing = by_key_.find(key); existing != by_key_.end()) {
      // One connection per key. Both sides keep the one dialled by the smaller key, so they
      // agree without talking; between two of one direction, the newer (the older may be dead).
      auto& kept = connections_.at(existing->second);
      auto dialler = [&](const Connection& c) {
        return c.direction() == Direction::outbound ? self : key;
      };
      const XOnlyPublicKey preferred = std::min(self, key);
      // A kept connection silent for two ping intervals is likely half-open: refusing the
      // peer's redial would leave it cut off until TCP gives up, so the newer replaces it.
      const bool kept_silent = kept->silent_ms() > 2 * ping_interval_ms(settings_.config);
      if (dialler(*kept) == preferred && dialler(*connection) != preferred && !kept_silent)
        refusal = "duplicate";
      else
        replaced = kept;
    }
    if (refusal.empty()) {
      by_key_[key] = connection->id();
      if (auto target = dial_targets_.find(key); target != dial_targets_.end()) {
        target->second->state = "connected";
        target->second->backoff.reset();
        target->second->timer.cancel();
      }
      if (auto it = requeued_.find(key); it != requeued_.end()) {
        requeued = std::move(it->second);
        requeued_.erase(it);
      }
      connection->fault_dropped = fault_dropped_.contains(key);
    }
  }
  if (!refusal.empty()) {
    if (refusal != "stopping") events_.refused(refusal);
    connection->close("refused: " + refusal);
    return false;
  }
  if (replaced) replaced->close("replaced by a newer connection of the same peer");
  for (OutboundFrame& frame : requeued) connection->push(std::move(frame));
  events_.connected(connection->id(), key, connection->direction(), connection->remote_address());
  return true;
}

void Transport::on_closed(const std::shared_ptr<Connection>& connection, const std::string& why,
                          bool was_connected) {
  std::shared_ptr<DialTarget> redial;
  std::uint64_t delay = 0;
  bool report = false;
  const auto key = connection->peer_key();
  {
    std::lock_guard lock(mutex_);
    connections_.erase(connection->id());
    if (key) {
      auto kept = by_key_.find(*key);
      if (kept != by_key_.end() && kept->second == connection->id()) by_key_.erase(kept);
    }
    // Every connection the actor heard of (connected) is reported gone, a replaced one too; a
    // stopping transport reports nothing: the actor that would hear it is being replaced.
    report = was_connected && !stopping_;
    if (!stopping_) {
      // Dial again for the key this connection was for, if we dial it and it is not connected.
      std::optional<XOnlyPublicKey> dial_key = connection->dialled() ? connection->dialled() : key;
      if (dial_key && !by_key_.contains(*dial_key)) {
        if (auto target = dial_targets_.find(*dial_key); target != dial_targets_.end())
          redial = target->second;
      }
      if (redial) delay = redial->backoff.next_delay();
    }
  }
  if (report) events_.disconnected(connection->id(), *key, why);
  if (redial) schedule_dial(redial, delay);
}

bool Transport::send(ConnectionId id, Bytes frame, bool consensus) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(id);
    if (it == connections_.end()) return false;
    connection = it->second;
  }
  return connection->push(OutboundFrame{std::move(frame), consensus});
}

void Transport::disconnect(ConnectionId id, const std::string& why) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    auto it = connections_.find(id);
    if (it == connections_.end()) return;
    connection = it->second;
  }
  connection->close(why);
}

void Transport::set_banned(const XOnlyPublicKey& key, bool banned) {
  std::shared_ptr<Connection> connected;
  std::shared_ptr<DialTarget> redial;
  {
    std::lock_guard lock(mutex_);
    if (banned) {
      banned_keys_.insert(key);
      if (auto it = by_key_.find(key); it != by_key_.end()) connected = connections_.at(it->second);
    } else {
      banned_keys_.erase(key);
      if (auto target = dial_targets_.find(key);
          target != dial_targets_.end() && target->second->state == "banned")
        redial = target->second;
    }
  }
  if (connected) connected->close("banned");
  if (redial) schedule_dial(redial, 0);
}

bool Transport::bannable_ip(const std::string& ip) {
  boost::system::error_code error;
  const auto address = asio::ip::make_address(ip, error);
  return !error && !address.is_loopback() && !address.is_unspecified();
}

void Transport::set_banned_ip(const std::string& ip, bool banned) {
  if (!bannable_ip(ip)) return;
  std::lock_guard lock(mutex_);
  if (banned)
    banned_ips_.insert(ip);
  else
    banned_ips_.erase(ip);
}

void Transport::set_fault_dropped(const std::set<XOnlyPublicKey>& keys) {
  std::lock_guard lock(mutex_);
  fault_dropped_ = keys;
  for (auto& [key, id] : by_key_) connections_.at(id)->fault_dropped = keys.contains(key);
}

bool Transport::fault_dropped(const XOnlyPublicKey& key) const {
  std::lock_guard lock(mutex_);
  return fault_dropped_.contains(key);
}

void Transport::requeue(const XOnlyPublicKey& key, std::vector<OutboundFrame> frames) {
  std::lock_guard lock(mutex_);
  auto& queued = requeued_[key];
  queued.insert(queued.end(), std::make_move_iterator(frames.begin()),
                std::make_move_iterator(frames.end()));
}

std::map<XOnlyPublicKey, std::vector<OutboundFrame>> Transport::take_unsent() {
  std::lock_guard lock(mutex_);
  return std::move(unsent_);
}

std::string Transport::listen_address() const {
  std::lock_guard lock(mutex_);
  return listen_address_;
}

std::vector<LinkView> Transport::links() const {
  std::lock_guard lock(mutex_);
  std::vector<LinkView> out;
  std::set<XOnlyPublicKey> listed;
  for (const auto& [key, id] : by_key_) {
    const Connection& c = *connections_.at(id);
    LinkView view;
    view.key = key;
    view.state = "connected";
    view.connection = id;
    view.address = c.remote_address();
    view.direction = c.direction() == Direction::inbound ? "inbound" : "outbound";
    view.connected_since_ms = c.connected_since_ms();
    view.messages_in = c.messages_in;
    view.messages_out = c.messages_out;
    view.bytes_in = c.bytes_in;
    view.bytes_out = c.bytes_out;
    view.queued = c.queued();
    view.dropped = c.dropped();
    view.fault_dropped = c.fault_dropped;
    out.push_back(view);
    listed.insert(key);
  }
  for (const auto& [key, target] : dial_targets_) {
    if (listed.contains(key)) continue;
    LinkView view;
    view.key = key;
    view.state = banned_keys_.contains(key) ? "banned" : target->state;
    if (view.state == "connected") view.state = "dialling";  // lost, a dial is about to start
    view.address = target->address.to_string();
    view.fault_dropped = fault_dropped_.contains(key);
    out.push_back(view);
  }
  return out;
}

}  // namespace alys::network
