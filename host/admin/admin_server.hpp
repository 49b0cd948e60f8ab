// The admin HTTP server: GET /health, GET /metrics, POST / (JSON-RPC 2.0). See docs/admin-api.md.
// Boost.Beast lives in admin_server.cpp only; this header stays light.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "alys/status.hpp"

namespace alys::host {

class Runtime;
class AdminSession;

struct AdminOptions {
  std::string listen = "127.0.0.1:8645";  // HOST:PORT or [IPV6]:PORT; port 0 picks a free one
  std::string token;                      // empty: every mutating method is refused
  std::size_t max_body_bytes = 1 << 20;
  std::uint64_t rpc_timeout_ms = 5000;
};

class AdminServer {
 public:
  // Binds and starts serving on its own thread; a failure names the address.
  static Result<std::unique_ptr<AdminServer>> start(Runtime& runtime, AdminOptions options);
  ~AdminServer();  // stops serving and joins its thread
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  std::string bound_address() const;  // with the actual port

 private:
  friend class AdminSession;
  struct Impl;
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace alys::host
