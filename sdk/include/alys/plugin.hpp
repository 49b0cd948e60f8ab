// ALYS_PLUGIN(ActorClass, alys::PluginInfo{...}) — emits the two exports of a plugin:
//   - `alys_plugin_manifest`: constant-initialized plain data (the host reads it from the file);
//   - `alys_plugin_functions`: the function table, each entry noexcept, exceptions turned into
//   codes.
// ActorClass must be constructible from alys::Context and derive from alys::Actor, or declare
//   static std::unique_ptr<alys::Actor> create(alys::Context context);
// to choose the actor's class itself when an instance is created (one plugin file, several
// backends picked by the role's table: context.config_json() is readable there). It may declare
//   static void check_config(std::string_view table_json, alys::ConfigProblems& problems);
// to check a role table without an instance (alys_plugin_on_check_config): report every problem
// into `problems`, from the same parser on_start uses. It runs on any thread, concurrently with
// instances, and has no Context: it must not reach the host or keep state. Without it the entry
// answers ALYS_ERR_UNSUPPORTED ("this plugin does not check its table") and the host warns.
// Include this header in exactly one source file of the plugin.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string_view>

#include "alys/abi.h"
#include "alys/actor.hpp"
#include "alys/config_check.hpp"
#include "alys/status.hpp"

// The instance the host holds an opaque pointer to. Defined once per plugin (this header is
// included by one source file of each plugin).
struct alys_instance {
  std::unique_ptr<alys::Actor> actor;
  alys::StateSnapshot last_snapshot;  // kept alive until the next call, as the ABI promises
};

namespace alys {

struct PluginInfo {
  const char* role = ALYS_ROLE_ANY;
  const char* name = "";
  const char* version = "0.0.0";
  std::uint32_t state_schema_version = 0;
  std::uint32_t capabilities = 0;
  std::array<const char*, ALYS_REQUIRES_MAX> requires_roles{};
};

namespace detail {

template <std::size_t N>
constexpr void copy_text(char (&out)[N], const char* text) {
  std::size_t i = 0;
  for (; text[i] != '\0'; ++i) {
    // Evaluated at compile time: a too-long name is a compile error here.
    if (i + 1 >= N) throw "plugin manifest text too long";
    out[i] = text[i];
  }
  for (; i < N; ++i) out[i] = '\0';
}

constexpr alys_manifest make_manifest(const PluginInfo& info) {
  alys_manifest manifest{};
  manifest.abi_major = ALYS_ABI_MAJOR;
  manifest.abi_minor = ALYS_ABI_MINOR;
  manifest.struct_size = sizeof(alys_manifest);
  manifest.state_schema_version = info.state_schema_version;
  manifest.capabilities = info.capabilities;
  copy_text(manifest.role, info.role);
  copy_text(manifest.name, info.name);
  copy_text(manifest.version, info.version);
  std::uint32_t count = 0;
  for (const char* role : info.requires_roles) {
    if (role == nullptr) break;
    copy_text(manifest.requires_roles[count++], role);
  }
  manifest.requires_count = count;
  return manifest;
}

inline void write_status(alys_status* status, std::int32_t code, const char* text) noexcept {
  if (status == nullptr) return;
  status->code = code;
  std::size_t size = std::strlen(text);
  if (size >= sizeof status->message) size = sizeof status->message - 1;
  std::memcpy(status->message, text, size);
  status->message[size] = '\0';
}

// Runs `body`, turning every exception into a code and message: nothing leaves the boundary.
template <class Body>
std::int32_t guarded(alys_status* status, Body&& body) noexcept {
  try {
    std::int32_t code = body();
    if (code == ALYS_OK || code == ALYS_DONE)
      write_status(status, code, "");
    else if (code != ALYS_DEGRADED)  // its body wrote the reason
      write_status(status, code, code_name(code));
    return code;
  } catch (const Error& error) {
    write_status(status, error.code(), error.what());
    return error.code();
  } catch (const std::bad_alloc&) {
    write_status(status, ALYS_ERR_FAILED, "out of memory");
  } catch (const std::exception& error) {
    write_status(status, ALYS_ERR_FAILED, error.what());
  } catch (...) {
    write_status(status, ALYS_ERR_FAILED, "unknown exception");
  }
  return ALYS_ERR_FAILED;
}

template <class ActorClass>
concept CreatesActor = requires(Context context) {
  { ActorClass::create(context) } -> std::convertible_to<std::unique_ptr<Actor>>;
};

template <class ActorClass>
alys_instance* on_create(const alys_host_api* host, alys_host_context* ctx,
                         alys_status* status) noexcept {
  alys_instance* created = nullptr;
  guarded(status, [&] {
    auto instance = std::make_unique<alys_instance>();
    if constexpr (CreatesActor<ActorClass>)
      instance->actor = ActorClass::create(Context(host, ctx));
    else
      instance->actor = std::make_unique<ActorClass>(Context(host, ctx));
    if (!instance->actor) throw Error(ALYS_ERR_FAILED, "the plugin created no actor");
    created = instance.release();
    return ALYS_OK;
  });
  return created;
}

inline std::int32_t on_start(alys_instance* self, alys_status* status) noexcept {
  return guarded(status, [&] {
    self->actor->start_instance();
    return ALYS_OK;
  });
}

inline std::int32_t on_handle(alys_instance* self, const alys_message* message,
                              alys_status* status) noexcept {
  return guarded(status, [&] { return self->actor->dispatch(*message); });
}

inline std::int32_t on_snapshot(alys_instance* self, std::uint32_t target_schema_version,
                                alys_snapshot_view* out, alys_status* status) noexcept {
  return guarded(status, [&] {
    self->last_snapshot = self->actor->snapshot(target_schema_version);
    out->plugin_owned_data = self->last_snapshot.bytes.data();
    out->size = self->last_snapshot.bytes.size();
    out->schema_version = self->last_snapshot.schema_version;
    return ALYS_OK;
  });
}

inline std::int32_t on_restore(alys_instance* self, const std::uint8_t* data, std::size_t size,
                               std::uint32_t schema_version, alys_status* status) noexcept {
  return guarded(status, [&] {
    self->actor->restore(ByteView(data, size), schema_version);
    return ALYS_OK;
  });
}

inline std::int32_t on_stop(alys_instance* self, alys_status* status) noexcept {
  return guarded(status, [&] {
    self->actor->stop_instance();
    return ALYS_OK;
  });
}

inline void on_destroy(alys_instance* self) noexcept {
  try {
    delete self;
  } catch (...) {
    // A throwing destructor must not cross the boundary; the instance is gone either way.
  }
}

inline std::int32_t on_health(alys_instance* self, alys_status* status) noexcept {
  return guarded(status, [&] {
    std::string reason = self->actor->health();
    if (!reason.empty()) throw Error(ALYS_ERR_FAILED, reason);
    reason = self->actor->degraded();
    if (reason.empty()) return std::int32_t{ALYS_OK};
    write_status(status, ALYS_DEGRADED, reason.c_str());
    return std::int32_t{ALYS_DEGRADED};
  });
}

template <class ActorClass>
concept ChecksConfig = requires(std::string_view table_json, ConfigProblems& problems) {
  ActorClass::check_config(table_json, problems);
};

template <class ActorClass>
std::int32_t on_check_config(const char* table_json, std::size_t size,
                             alys_config_problem_sink sink, void* user,
                             alys_status* status) noexcept {
  if constexpr (ChecksConfig<ActorClass>) {
    return guarded(status, [&] {
      ConfigProblems problems;
      ActorClass::check_config(std::string_view(table_json, size), problems);
      if (problems.empty()) return std::int32_t{ALYS_OK};
      for (const ConfigProblem& problem : problems.list()) {
        alys_status reported{};
        write_status(&reported, problem.code, problem.message.c_str());
        sink(user, problem.key.c_str(), &reported);
      }
      throw Error(ALYS_ERR_INVALID,
                  std::to_string(problems.size()) + " problem(s) in the role table");
    });
  } else {
    (void)table_json;
    (void)size;
    (void)sink;
    (void)user;
    write_status(status, ALYS_ERR_UNSUPPORTED, "this plugin does not check its table");
    return ALYS_ERR_UNSUPPORTED;
  }
}

template <class ActorClass>
constexpr alys_plugin_function_table make_function_table() {
  return alys_plugin_function_table{sizeof(alys_plugin_function_table),
                                    0,
                                    &on_create<ActorClass>,
                                    &on_start,
                                    &on_handle,
                                    &on_snapshot,
                                    &on_restore,
                                    &on_stop,
                                    &on_destroy,
                                    &on_health,
                                    &on_check_config<ActorClass>};
}

}  // namespace detail
}  // namespace alys

#define ALYS_PLUGIN(ActorClass, ...)                                                              \
  extern "C"                                                                                      \
      __attribute__((visibility("default"))) constinit const alys_manifest alys_plugin_manifest = \
          ::alys::detail::make_manifest(__VA_ARGS__);                                             \
  extern "C" __attribute__((                                                                      \
      visibility("default"))) constinit const alys_plugin_function_table alys_plugin_functions =  \
      ::alys::detail::make_function_table<ActorClass>()
