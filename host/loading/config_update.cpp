// Runtime: a new role table for a running actor (SIGHUP). The table is offered as a config
// message; an actor that declines it is restarted with it (a swappable one with its state handed
// over), and a restart that fails with it rolls back to the table the actor ran with, so that a
// table only a start can refuse never restarts an actor into its supervisor's limit.
#include <spdlog/spdlog.h>

#include <optional>

#include "host/runtime/runtime.hpp"

namespace alys::host {

Status Runtime::update_role_table(const std::string& role, std::shared_ptr<const RoleTable> table) {
  ActorCell* target = cell(role);
  if (target == nullptr) return Status(ALYS_ERR_NO_SUCH_ROLE, "no such role '" + role + "'");
  std::string json = table ? table->to_json() : std::string("{}");
  target->offer_role_table(std::move(table));
  Envelope notice;
  notice.type_id = ALYS_TYPE_CONFIG_CHANGED;
  notice.kind = ALYS_KIND_CONFIG;
  notice.priority = ALYS_PRIORITY_HIGH;
  notice.payload = Payload(reinterpret_cast<const std::uint8_t*>(json.data()), json.size());
  std::int32_t delivered = target->deliver(std::move(notice));
  if (delivered != ALYS_OK)
    return Status(delivered, "the new config table could not be delivered to '" + role + "'");
  return Status::Ok();
}

void Runtime::restart_with_new_table(const std::string& role) {
  control_.post([this, role] {
    ActorCell* target = cell(role);
    if (target == nullptr || stopped() || target->state() == ActorState::stopped) return;
    auto keep_previous_table = [&](const std::string& why) {
      if (std::shared_ptr<const RoleTable> previous = target->take_fallback_table())
        target->set_role_table(std::move(previous));
      logger_->error("[reload] role '{}': its new config table was not applied: {}", role, why);
    };
    if (trials_.on_trial(target)) {
      // The swap's trial owns the instance: restarting it now would end the trial. The table goes
      // back to the one the instance runs with, so a later SIGHUP offers it again.
      keep_previous_table(
          "the role declined it during a swap's trial period; send SIGHUP again once the reload "
          "has settled");
      return;
    }
    // A swappable plugin keeps its state across the restart, as across a swap to itself: a
    // config change must not cost a mempool, held approvals or miner work.
    std::optional<StateBlob> state;
    const alys_manifest& manifest = target->library()->manifest();
    if ((manifest.capabilities & ALYS_CAP_SWAPPABLE) != 0) {
      target->pause();
      Result<StateBlob> taken = target->snapshot(manifest.state_schema_version);
      if (!taken.ok()) {
        keep_previous_table(
            "the role declined it and its state could not be taken for a restart (" +
            taken.status().message() + ")");
        target->resume();
        return;
      }
      state = std::move(taken).value();
    }
    const StateBlob* handed = state ? &*state : nullptr;
    target->stop_instance();
    Status started = target->start_instance(handed);
    if (started.ok()) {
      target->settle_role_table();
      target->counters().restarts.fetch_add(1);
      logger_->info("[reload] role '{}' restarted with its new config table{}", role,
                    state ? " (state handed over)" : " (fresh state: not swappable)");
      return;
    }
    std::shared_ptr<const RoleTable> previous = target->take_fallback_table();
    if (!previous) {
      on_actor_exit(*target, ActorExit{true, started.message(), target->generation()});
      return;
    }
    logger_->error(
        "[reload] role '{}' cannot start with its new config table ({}); rolling back to the "
        "table it ran with",
        role, started.message());
    target->set_role_table(std::move(previous));
    // The state was written by this library, in its own schema: the old table's instance reads it.
    Status again = target->start_instance(handed);
    if (!again.ok()) {
      logger_->error(
          "[reload] role '{}' does not start with its previous table either ({}); the "
          "supervisor takes over",
          role, again.message());
      on_actor_exit(*target, ActorExit{true, again.message(), target->generation()});
      return;
    }
    target->counters().restarts.fetch_add(1);
    logger_->warn(
        "[reload] role '{}' runs with its previous config table again; the new one "
        "was not applied",
        role);
  });
}

}  // namespace alys::host
