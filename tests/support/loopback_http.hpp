// Plain HTTP/1.1 over a loopback TCP socket, for integration tests: one request per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace alys::testing {

// A loopback port free right now: bound to port 0, read back, released for a server to take.
// The kernel may give the same port to the next bind(0) once it is closed, and a test that asks
// twice before starting anything (an admin port and a network port) would then give two listeners
// one port: ports handed out by this process are never handed out again (seen in CI: network_nodes'
// admin API and network listener on one port).
inline std::uint16_t free_loopback_port() {
  static std::mutex mutex;
  static std::set<std::uint16_t> given;
  std::lock_guard<std::mutex> lock(mutex);
  for (;;) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    ::close(fd);
    const std::uint16_t port = ntohs(address.sin_port);
    if (given.insert(port).second) return port;
  }
}

struct HttpReply {
  int status = 0;
  std::string headers;
  std::string body;
};

// nullopt when the connection is refused or breaks.
inline std::optional<HttpReply> http_request(const std::string& ip, std::uint16_t port,
                                             const std::string& method, const std::string& target,
                                             const std::string& body = "",
                                             const std::vector<std::string>& headers = {}) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval timeout{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: " + ip +
                        "\r\nConnection: close\r\nContent-Type: application/json\r\n";
  for (const auto& header : headers) request += header + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto end_of_headers = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end_of_headers == std::string::npos) return std::nullopt;
  HttpReply reply;
  reply.status = std::stoi(raw.substr(9, 3));
  reply.headers = raw.substr(0, end_of_headers);
  reply.body = raw.substr(end_of_headers + 4);
  return reply;
}

}  // namespace alys::testing
