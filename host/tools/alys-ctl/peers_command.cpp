// `alys-ctl peers`: the network role's network_peers as a table (docs/network.md, "Admin").
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "host/tools/alys-ctl/commands.hpp"
#include "host/tools/alys-ctl/output.hpp"

namespace alys::ctl {
namespace {

constexpr const char* kMethod = "network_peers";

std::string short_key(const std::string& key) {
  return key.size() > 16 ? key.substr(0, 16) + "…" : key;
}

std::string status_of(const json::object& peer) {
  const json::value* status = field(peer, "status");
  if (!status || !status->is_object()) return "-";
  const json::object& s = status->get_object();
  return text(s, "head_height") + "/" + or_dash(text(s, "finalized_height"));
}

// "12s", "5m03s", "2h10m", "3d04h": how long a connection has been up, from its unix-ms start.
std::string age_of(const std::string& since_ms) {
  std::uint64_t since = 0;
  try {
    since = std::stoull(since_ms);
  } catch (const std::exception&) {
    return "-";
  }
  if (since == 0) return "-";
  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const std::uint64_t s = now > since ? (now - since) / 1000 : 0;
  char buffer[32];
  if (s < 60)
    std::snprintf(buffer, sizeof buffer, "%llus", static_cast<unsigned long long>(s));
  else if (s < 3600)
    std::snprintf(buffer, sizeof buffer, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  else if (s < 86400)
    std::snprintf(buffer, sizeof buffer, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s % 3600 / 60));
  else
    std::snprintf(buffer, sizeof buffer, "%llud%02lluh", static_cast<unsigned long long>(s / 86400),
                  static_cast<unsigned long long>(s % 86400 / 3600));
  return buffer;
}

std::string pair(const json::object& peer, std::string_view in, std::string_view out) {
  return text(peer, in) + "/" + text(peer, out);
}

}  // namespace

int run_peers(Session& session) {
  Result<tools::RpcReply> answer = session.call(kMethod, json::object());
  if (!answer.ok()) return session.report_failure(answer.status());
  if (answer->error) return session.report_rpc_error(kMethod, *answer->error);
  const json::value& result = *answer->result;
  if (session.json_output() || !result.is_object()) {
    print_json(result);
    return kExitOk;
  }
  const json::object& all = result.get_object();
  if (const json::value* self = field(all, "self"); self && self->is_object()) {
    const json::object& me = self->get_object();
    std::cout << "this node " << text(me, "key") << " (" << text(me, "identity")
              << "), listening on " << or_dash(text(me, "listen")) << "\n\n";
  }
  std::vector<std::vector<std::string>> rows = {{"KEY", "IDENTITY", "STATE", "DIRECTION", "ADDRESS",
                                                 "SCORE", "HEAD/FINAL", "MSGS IN/OUT",
                                                 "BYTES IN/OUT", "CONNECTED FOR"}};
  if (const json::value* peers = field(all, "peers"); peers && peers->is_array()) {
    for (const auto& item : peers->get_array()) {
      if (!item.is_object()) continue;
      const json::object& peer = item.get_object();
      rows.push_back(
          {short_key(text(peer, "key")), text(peer, "identity"), text(peer, "state"),
           or_dash(text(peer, "direction")), or_dash(text(peer, "address")), text(peer, "score"),
           status_of(peer), pair(peer, "messages_in", "messages_out"),
           pair(peer, "bytes_in", "bytes_out"), age_of(text(peer, "connected_since_ms"))});
    }
  }
  print_table(rows);
  return kExitOk;
}

}  // namespace alys::ctl
