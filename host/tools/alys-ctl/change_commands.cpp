#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "alys/json_rpc.hpp"
#include "host/admin/admin_methods.hpp"
#include "host/tools/alys-ctl/commands.hpp"
#include "host/tools/alys-ctl/output.hpp"

namespace alys::ctl {

namespace {

namespace methods = host::admin_methods;

// The plugin version serving `role` now, from node_status; empty if unknown.
std::string serving_version(Session& session, const std::string& role) {
  Result<tools::RpcReply> answer = session.call(methods::kNodeStatus, json::object());
  if (!answer.ok() || !answer->result || !answer->result->is_object()) return "";
  const json::value* actors = answer->result->get_object().if_contains("actors");
  if (!actors || !actors->is_array()) return "";
  for (const auto& item : actors->get_array())
    if (item.is_object() && text(item.get_object(), "role") == role)
      return text(item.get_object(), "plugin_version");
  return "";
}

// A reload that failed in the node (kOperationFailed with `data`): the stage, and what serves now.
int report_failed_reload(Session& session, const std::string& role, const tools::RpcError& error,
                         const json::object& detail) {
  if (session.json_output()) print_json(error.object);
  const std::string stage = text(detail, "stage");
  std::cerr << "alys-ctl: reload of " << role << " failed at stage " << stage << ": "
            << message_without(error, "reload of '" + role + "' failed at " + stage + ": ");
  // Asked after the failure, so the line reports what serves now rather than a guess.
  const std::string version = serving_version(session, role);
  if (!version.empty())
    std::cerr << "; " << (flag(detail, "rolled_back") ? "rolled back, " : "") << "old version "
              << version << " still serving";
  std::cerr << "\n";
  return kExitNodeError;
}

}  // namespace

int run_reload(Session& session, const std::string& role, const std::string& file) {
  // The node resolves a relative path against its own working directory, which is not ours.
  const std::string path = std::filesystem::absolute(file).lexically_normal().string();
  Result<tools::RpcReply> answer =
      session.call(methods::kPluginReload, json::object{{"role", role}, {"path", path}});
  if (!answer.ok()) return session.report_failure(answer.status());
  if (answer->error) {
    const tools::RpcError& error = *answer->error;
    const json::value* data = error.object.if_contains("data");
    if (error.code == json_rpc::kOperationFailed && data && data->is_object())
      return report_failed_reload(session, role, error, data->get_object());
    return session.report_rpc_error("reload of " + role, error);
  }
  const json::value& result = *answer->result;
  if (session.json_output() || !result.is_object()) {
    print_json(result);
    return kExitOk;
  }
  const json::object& swap = result.get_object();
  const std::string how = text(swap, "mode") == "state"
                              ? "state handed over"
                              : "restarted with fresh state: old or new version not swappable";
  std::cout << "reloaded " << text(swap, "role") << " " << text(swap, "from_version") << " -> "
            << text(swap, "to_version") << " (" << how << ", paused " << text(swap, "pause_us")
            << " us)\n";
  return kExitOk;
}

int run_restart(Session& session, const std::string& role) {
  Result<tools::RpcReply> answer =
      session.call(methods::kActorRestart, json::object{{"role", role}});
  if (!answer.ok()) return session.report_failure(answer.status());
  if (answer->error)
    return session.report_rpc_error("restart of " + role, *answer->error,
                                    "restart of '" + role + "' failed: ");
  if (session.json_output())
    print_json(*answer->result);
  else
    std::cout << "restarted " << role << " (fresh state, mailbox kept)\n";
  return kExitOk;
}

int run_shutdown(Session& session) {
  Result<tools::RpcReply> answer = session.call(methods::kNodeShutdown, json::object());
  if (!answer.ok()) return session.report_failure(answer.status());
  if (answer->error)
    return session.report_rpc_error(std::string(methods::kNodeShutdown), *answer->error);
  if (session.json_output())
    print_json(*answer->result);
  else
    std::cout << "alysd at " << session.where() << " is shutting down\n";
  return kExitOk;
}

int run_call(Session& session, const std::vector<std::string>& args) {
  json::value params = json::object();
  if (args.size() > 1) {
    json::error_code ec;
    params = json::parse(args[1], ec);
    if (ec || (!params.is_object() && !params.is_array())) {
      std::cerr << "alys-ctl: call: params must be a JSON object or array, got '" << args[1]
                << "'\n";
      return kExitUsage;
    }
  }
  Result<tools::RpcReply> answer = session.call(args[0], std::move(params));
  if (!answer.ok()) return session.report_failure(answer.status());
  if (answer->error) return session.report_rpc_error(args[0], *answer->error);
  print_json(*answer->result);  // a plugin's result has no fixed shape: JSON either way
  return kExitOk;
}

}  // namespace alys::ctl
