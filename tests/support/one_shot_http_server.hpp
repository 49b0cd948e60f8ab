// A loopback HTTP server that takes one connection, for unit tests of HTTP clients: it records
// the raw request and answers a canned response.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <future>
#include <string>
#include <thread>

namespace alys::testing {

// A listening TCP socket on 127.0.0.1 at a port the kernel chose (written to `port`).
inline int listen_on_loopback(std::uint16_t& port, int backlog = 1) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, backlog) == 0);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  return listener;
}

// A loopback HTTP server for one connection: it records the raw request and answers `response`
// as is (nothing at all when `response` is empty, holding the connection until destroyed).
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    listener_ = listen_on_loopback(port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~OneShotServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  std::uint16_t port() const { return port_; }
  // The request as received; waits for it.
  std::string request() { return request_.get_future().get(); }

 private:
  void serve() {
    const int connection = ::accept(listener_, nullptr, nullptr);
    if (connection < 0) {
      request_.set_value("");
      return;
    }
    std::string raw;
    char buffer[4096];
    for (;;) {
      const std::size_t end = raw.find("\r\n\r\n");
      if (end != std::string::npos) {
        const std::size_t length_at = raw.find("Content-Length: ");
        const std::size_t length =
            length_at == std::string::npos ? 0 : std::stoul(raw.substr(length_at + 16));
        if (raw.size() >= end + 4 + length) break;
      }
      const ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      raw.append(buffer, static_cast<std::size_t>(n));
    }
    request_.set_value(raw);
    if (!response_.empty()) {
      ::send(connection, response_.data(), response_.size(), MSG_NOSIGNAL);
    } else {
      // Hold the connection open without answering until the client gives up.
      while (::recv(connection, buffer, sizeof buffer, 0) > 0) {
      }
    }
    ::close(connection);
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::string response_;
  std::promise<std::string> request_;
  std::thread thread_;
};

// An HTTP/1.1 answer with `body` as JSON.
inline std::string http_answer(unsigned status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace alys::testing
