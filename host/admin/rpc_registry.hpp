// RpcRegistry — the admin JSON-RPC methods plugins offer (alys_host_rpc_register): which actor
// serves each and whether it changes the node (ALYS_RPC_MUTATING). The admin server looks a method
// up here once the host's own methods (admin_methods.hpp) did not match.
//
// Threads: every member may be called from any thread (actors register from their handlers, the
// admin server looks up from its own thread); one mutex guards the table.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "alys/abi.h"
#include "alys/status.hpp"

namespace alys::host {

struct RpcMethod {
  alys_address address = 0;
  std::uint32_t flags = 0;  // alys_rpc_flag
};

class RpcRegistry {
 public:
  // Registers `method` for the actor at `address`, or updates its flags when that actor registered
  // it already. Invalid when the name is not [a-z][A-Za-z0-9_]{0,63}, is reserved by the host, or
  // another actor serves it.
  Status register_method(alys_address address, const std::string& method, std::uint32_t flags);
  // The registration of `method`; nullopt when no actor serves it.
  std::optional<RpcMethod> find(const std::string& method) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, RpcMethod> methods_;
};

}  // namespace alys::host
