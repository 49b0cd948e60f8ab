#include "host/runtime/host_api.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>

#include "host/runtime/actor_cell.hpp"
#include "host/runtime/runtime.hpp"

namespace alys::host {
namespace {

// Nothing may unwind into a plugin: every entry point catches and returns a code.
template <class Body>
std::int32_t guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return ALYS_ERR_FAILED;
  } catch (...) {
    return ALYS_ERR_FAILED;
  }
}

Runtime& runtime_of(alys_host_context* ctx) { return *ctx->runtime; }
ActorCell& cell_of(alys_host_context* ctx) { return *ctx->cell; }

std::int32_t host_resolve(alys_host_context* ctx, const char* role, alys_address* address_out) {
  return guarded([&]() -> std::int32_t {
    if (role == nullptr || address_out == nullptr) return ALYS_ERR_INVALID;
    auto address = runtime_of(ctx).resolve(role);
    if (!address) return ALYS_ERR_NO_SUCH_ROLE;
    *address_out = *address;
    return ALYS_OK;
  });
}

std::int32_t host_send(alys_host_context* ctx, alys_address to, std::uint64_t type_id,
                       std::uint32_t priority, const std::uint8_t* payload, std::size_t size) {
  return guarded([&]() -> std::int32_t {
    return runtime_of(ctx).send(cell_of(ctx).address(), to, type_id, priority, payload, size);
  });
}

std::int32_t host_request(alys_host_context* ctx, alys_address to, std::uint64_t type_id,
                          std::uint32_t priority, const std::uint8_t* payload, std::size_t size,
                          std::uint64_t timeout_ms, std::uint64_t* correlation_out) {
  return guarded([&]() -> std::int32_t {
    return runtime_of(ctx).request(cell_of(ctx).address(), to, type_id, priority, payload, size,
                                   timeout_ms, correlation_out);
  });
}

std::int32_t host_reply(alys_host_context* ctx, std::uint64_t correlation_id, std::uint64_t type_id,
                        const std::uint8_t* payload, std::size_t size) {
  return guarded([&]() -> std::int32_t {
    return runtime_of(ctx).reply(cell_of(ctx).address(), correlation_id, type_id, payload, size);
  });
}

std::int32_t host_publish(alys_host_context* ctx, const char* topic, std::uint64_t type_id,
                          const std::uint8_t* payload, std::size_t size) {
  return guarded([&]() -> std::int32_t {
    if (topic == nullptr) return ALYS_ERR_INVALID;
    return runtime_of(ctx).publish(cell_of(ctx).address(), topic, type_id, payload, size);
  });
}

std::int32_t host_subscribe(alys_host_context* ctx, const char* topic) {
  return guarded([&]() -> std::int32_t {
    if (topic == nullptr) return ALYS_ERR_INVALID;
    return runtime_of(ctx).subscribe(cell_of(ctx).address(), topic);
  });
}

std::int32_t host_timer_start(alys_host_context* ctx, std::uint64_t delay_ms,
                              std::uint64_t period_ms, std::uint64_t type_id,
                              const std::uint8_t* payload, std::size_t size,
                              std::uint64_t* timer_out) {
  return guarded([&]() -> std::int32_t {
    Envelope message;
    message.type_id = type_id;
    message.payload = Payload(payload, size);
    return cell_of(ctx).start_timer(delay_ms, period_ms, std::move(message), timer_out);
  });
}

std::int32_t host_timer_cancel(alys_host_context* ctx, std::uint64_t timer_id) {
  return guarded([&]() -> std::int32_t { return cell_of(ctx).cancel_timer(timer_id); });
}

std::uint64_t host_now_ms(alys_host_context* ctx) { return runtime_of(ctx).timers().now_ms(); }

void host_log(alys_host_context* ctx, std::uint32_t level, const char* text, std::size_t size) {
  try {
    static constexpr spdlog::level::level_enum kLevels[] = {
        spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
        spdlog::level::err};
    auto spd_level = level <= ALYS_LOG_ERROR ? kLevels[level] : spdlog::level::err;
    std::string_view line(text ? text : "", text ? size : 0);
    runtime_of(ctx).logger().log(spd_level, "[{}] [corr={}] {}", cell_of(ctx).role(),
                                 current_correlation_id(), line);
  } catch (...) {
    // Logging must never fail the caller.
  }
}

std::int32_t host_counter_add(alys_host_context* ctx, const char* name, std::uint64_t delta) {
  return guarded([&]() -> std::int32_t {
    if (name == nullptr) return ALYS_ERR_INVALID;
    return runtime_of(ctx).metrics().counter_add(cell_of(ctx).role(), name, delta);
  });
}

std::int32_t host_gauge_set(alys_host_context* ctx, const char* name, double value) {
  return guarded([&]() -> std::int32_t {
    if (name == nullptr) return ALYS_ERR_INVALID;
    return runtime_of(ctx).metrics().gauge_set(cell_of(ctx).role(), name, value);
  });
}

std::int32_t host_histogram_observe(alys_host_context* ctx, const char* name, double value) {
  return guarded([&]() -> std::int32_t {
    if (name == nullptr) return ALYS_ERR_INVALID;
    return runtime_of(ctx).metrics().histogram_observe(cell_of(ctx).role(), name, value);
  });
}

std::int32_t lookup_code(RoleTable::Lookup lookup) {
  switch (lookup) {
    case RoleTable::Lookup::found:
      return ALYS_OK;
    case RoleTable::Lookup::not_found:
      return ALYS_ERR_NOT_FOUND;
    case RoleTable::Lookup::wrong_type:
      return ALYS_ERR_TYPE;
  }
  return ALYS_ERR_FAILED;
}

// A copy of the pointer: a SIGHUP may replace the table while a plugin thread reads it.
std::shared_ptr<const RoleTable> table_of(alys_host_context* ctx) {
  return cell_of(ctx).role_table();
}

std::int32_t host_config_int(alys_host_context* ctx, const char* key, std::int64_t* value_out) {
  return guarded([&]() -> std::int32_t {
    if (key == nullptr || value_out == nullptr) return ALYS_ERR_INVALID;
    auto table = table_of(ctx);
    if (!table) return ALYS_ERR_NOT_FOUND;
    return lookup_code(table->get_int(key, *value_out));
  });
}

std::int32_t host_config_double(alys_host_context* ctx, const char* key, double* value_out) {
  return guarded([&]() -> std::int32_t {
    if (key == nullptr || value_out == nullptr) return ALYS_ERR_INVALID;
    auto table = table_of(ctx);
    if (!table) return ALYS_ERR_NOT_FOUND;
    return lookup_code(table->get_double(key, *value_out));
  });
}

std::int32_t host_config_bool(alys_host_context* ctx, const char* key, std::int32_t* value_out) {
  return guarded([&]() -> std::int32_t {
    if (key == nullptr || value_out == nullptr) return ALYS_ERR_INVALID;
    auto table = table_of(ctx);
    if (!table) return ALYS_ERR_NOT_FOUND;
    bool value = false;
    std::int32_t code = lookup_code(table->get_bool(key, value));
    if (code == ALYS_OK) *value_out = value ? 1 : 0;
    return code;
  });
}

std::int32_t host_config_string(alys_host_context* ctx, const char* key, alys_bytes_sink sink,
                                void* user) {
  return guarded([&]() -> std::int32_t {
    if (key == nullptr || sink == nullptr) return ALYS_ERR_INVALID;
    auto table = table_of(ctx);
    if (!table) return ALYS_ERR_NOT_FOUND;
    std::string value;
    std::int32_t code = lookup_code(table->get_string(key, value));
    if (code == ALYS_OK) sink(user, value.data(), value.size());
    return code;
  });
}

std::int32_t host_config_json(alys_host_context* ctx, alys_bytes_sink sink, void* user) {
  return guarded([&]() -> std::int32_t {
    if (sink == nullptr) return ALYS_ERR_INVALID;
    auto table = table_of(ctx);
    std::string json = table ? table->to_json() : std::string("{}");
    sink(user, json.data(), json.size());
    return ALYS_OK;
  });
}

void host_report_fatal(alys_host_context* ctx, const char* text, std::size_t size) {
  try {
    runtime_of(ctx).report_fatal(cell_of(ctx), std::string(text ? text : "", text ? size : 0));
  } catch (...) {
    // Nothing may unwind into the plugin's thread.
  }
}

std::int32_t host_rpc_register(alys_host_context* ctx, const char* method, std::uint32_t flags) {
  return guarded([&]() -> std::int32_t {
    if (method == nullptr) return ALYS_ERR_INVALID;
    return runtime_of(ctx)
        .rpc_methods()
        .register_method(cell_of(ctx).address(), method, flags)
        .code();
  });
}

constexpr alys_host_api kHostApi{sizeof(alys_host_api),
                                 ALYS_ABI_MINOR,
                                 &host_resolve,
                                 &host_send,
                                 &host_request,
                                 &host_reply,
                                 &host_publish,
                                 &host_subscribe,
                                 &host_timer_start,
                                 &host_timer_cancel,
                                 &host_now_ms,
                                 &host_log,
                                 &host_counter_add,
                                 &host_gauge_set,
                                 &host_histogram_observe,
                                 &host_config_int,
                                 &host_config_double,
                                 &host_config_bool,
                                 &host_config_string,
                                 &host_config_json,
                                 &host_report_fatal,
                                 &host_rpc_register};

}  // namespace

const alys_host_api* host_api_table() { return &kHostApi; }

}  // namespace alys::host
