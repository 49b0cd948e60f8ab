// outage: an actor that depends on something outside the node which an operator (the admin method
// `outage_set`, params {"reason": "..."}) or a test (SetOutage) declares down or back. While it is
// down the actor answers health probes ALYS_DEGRADED with the reason (Actor::degraded()), which
// the host must show without restarting it. `fail_health = true` in its role table makes its
// probe fail outright, for comparison. Counts its starts in the host metric `starts`.
//
// Built twice: as an ABI 1.2 plugin, and with OUTAGE_ABI_1_1 as a plugin that declares ABI 1.1,
// whose health answer 2 predates ALYS_DEGRADED and so must count as a failure.
#include "alys/json.hpp"
#include "alys/plugin.hpp"
#include "outage_messages.hpp"

namespace {

class OutageActor : public alys::Actor {
 public:
  explicit OutageActor(alys::Context context) : Actor(context) {
    on<alys::test::SetOutage>([this](const alys::test::SetOutage& outage, const alys::Envelope&) {
      reason_ = outage.reason;
    });
    rpc_json("outage_set", ALYS_RPC_MUTATING,
             [this](const alys::json::Field& params) -> alys::Result<alys::json::Value> {
               alys::Result<std::string> reason = params.get_string("reason");
               if (!reason.ok()) return reason.status();
               reason_ = *reason;
               return alys::json::Value(alys::json::Object{{"reason", reason_}});
             });
  }

  void on_start() override { context().counter_add("starts"); }

  std::string health() override {
    return context().config_bool("fail_health").value_or(false) ? "configured to be unhealthy" : "";
  }

  std::string degraded() override { return reason_; }

 private:
  std::string reason_;
};

constexpr alys::PluginInfo kInfo{
    .role = ALYS_ROLE_ANY, .name = "alys-test-outage", .version = "1.0.0"};

#ifdef OUTAGE_ABI_1_1
constexpr alys_manifest manifest_of_abi_1_1() {
  alys_manifest manifest = alys::detail::make_manifest(kInfo);
  manifest.abi_minor = 1;
  return manifest;
}
#endif

}  // namespace

#ifndef OUTAGE_ABI_1_1
ALYS_PLUGIN(OutageActor, kInfo);
#else
extern "C"
    __attribute__((visibility("default"))) constinit const alys_manifest alys_plugin_manifest =
        manifest_of_abi_1_1();
extern "C" __attribute__((
    visibility("default"))) constinit const alys_plugin_function_table alys_plugin_functions =
    alys::detail::make_function_table<OutageActor>();
#endif
