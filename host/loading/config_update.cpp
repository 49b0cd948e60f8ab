// Runtime: a new role table for a running actor (SIGHUP). The table is offered as a config
// message; an actor that declines it is restarted with it, and a restart that fails with it rolls
// back to the table the actor ran with, so that a table only a start can refuse never restarts an
// actor into its supervisor's limit.
#include <spdlog/spdlog.h>

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
    if (trials_.on_trial(target)) {
      // The swap's trial owns the instance; its settling (or rollback) restarts nothing here.
      logger_->warn(
          "[reload] role '{}' declined its new config table during a swap trial; it "
          "runs on and gets the table at its next restart",
          role);
      return;
    }
    target->stop_instance();
    Status started = target->start_instance();
    if (started.ok()) {
      target->settle_role_table();
      target->counters().restarts.fetch_add(1);
      logger_->info("[reload] role '{}' restarted with its new config table", role);
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
    Status again = target->start_instance();
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
