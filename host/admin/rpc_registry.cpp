#include "host/admin/rpc_registry.hpp"

#include <string_view>

#include "host/admin/admin_methods.hpp"

namespace alys::host {
namespace {

bool valid_method_name(const std::string& method) {
  bool valid = !method.empty() && method.size() <= 64 && method[0] >= 'a' && method[0] <= 'z';
  for (char c : method)
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_');
  return valid;
}

}  // namespace

Status RpcRegistry::register_method(alys_address address, const std::string& method,
                                    std::uint32_t flags) {
  if (!valid_method_name(method))
    return Status::Invalid("'" + method + "' is not a method name ([a-z][A-Za-z0-9_]{0,63})");
  for (std::string_view reserved : admin_methods::kReserved)
    if (method == reserved) return Status::Invalid("'" + method + "' is reserved by the host");
  std::lock_guard lock(mutex_);
  auto [it, inserted] = methods_.try_emplace(method, RpcMethod{address, flags});
  if (!inserted && it->second.address != address)
    return Status::Invalid("'" + method + "' is served by another role");
  it->second.flags = flags;
  return Status::Ok();
}

std::optional<RpcMethod> RpcRegistry::find(const std::string& method) const {
  std::lock_guard lock(mutex_);
  auto found = methods_.find(method);
  if (found == methods_.end()) return std::nullopt;
  return found->second;
}

}  // namespace alys::host
