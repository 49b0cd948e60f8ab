#include <iostream>
#include <string>
#include <vector>

#include "host/admin/admin_methods.hpp"
#include "host/tools/alys-ctl/commands.hpp"
#include "host/tools/alys-ctl/output.hpp"

namespace alys::ctl {

namespace methods = host::admin_methods;

int run_status(Session& session) {
  Result<tools::RpcReply> answer = session.call(methods::kNodeStatus, json::object());
  if (!answer.ok()) return session.report_failure(answer.status());
  if (answer->error)
    return session.report_rpc_error(std::string(methods::kNodeStatus), *answer->error);
  const json::value& result = *answer->result;
  if (session.json_output() || !result.is_object()) {
    print_json(result);
    return kExitOk;
  }
  const json::object& node = result.get_object();
  std::cout << "alysd " << text(node, "version") << " (ABI " << text(node, "abi") << ") at "
            << session.where() << ": " << text(node, "state");
  if (auto uptime = number(node, "uptime_seconds")) std::cout << ", up " << format_uptime(*uptime);
  std::cout << "\n\n";
  print_actors(node, true);
  return kExitOk;
}

int run_plugins(Session& session) {
  Result<tools::RpcReply> answer = session.call(methods::kPluginList, json::object());
  if (!answer.ok()) return session.report_failure(answer.status());
  if (answer->error)
    return session.report_rpc_error(std::string(methods::kPluginList), *answer->error);
  const json::value& result = *answer->result;
  if (session.json_output() || !result.is_array()) {
    print_json(result);
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ROLE", "PLUGIN", "VERSION", "ABI", "SCHEMA", "SWAPPABLE", "THREAD", "REQUIRES", "FILE"}};
  for (const auto& item : result.get_array()) {
    if (!item.is_object()) continue;
    const json::object& plugin = item.get_object();
    rows.push_back({text(plugin, "role"), text(plugin, "name"), text(plugin, "version"),
                    text(plugin, "abi"), text(plugin, "state_schema_version"),
                    flag(plugin, "swappable") ? "yes" : "no",
                    flag(plugin, "dedicated_thread") ? "dedicated" : "shared",
                    or_dash(text(plugin, "requires")), text(plugin, "file")});
  }
  print_table(rows);
  return kExitOk;
}

int run_health(Session& session) {
  Result<tools::HttpReply> reply = session.get("/health");
  if (!reply.ok()) return session.report_failure(reply.status());
  if (reply->status == 401) return session.report_unauthorized("");
  if (reply->status != 200 && reply->status != 503) return session.report_unexpected(*reply);
  const bool healthy = reply->status == 200;
  json::error_code ec;
  const json::value body = json::parse(reply->body, ec);
  if (session.json_output() || ec || !body.is_object()) {
    std::cout << reply->body;
    if (!reply->body.ends_with('\n')) std::cout << "\n";
  } else {
    const json::object& node = body.get_object();
    std::cout << "node " << text(node, "state") << ", " << (healthy ? "healthy" : "NOT healthy")
              << "\n\n";
    print_actors(node, false);
  }
  return healthy ? kExitOk : kExitNodeError;
}

int run_metrics(Session& session) {
  Result<tools::HttpReply> reply = session.get("/metrics");
  if (!reply.ok()) return session.report_failure(reply.status());
  if (reply->status == 401) return session.report_unauthorized("");
  if (reply->status != 200) return session.report_unexpected(*reply);
  std::cout << reply->body;
  return kExitOk;
}

}  // namespace alys::ctl
