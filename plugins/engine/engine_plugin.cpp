// alys-engine (alys_engine.so): the engine role's plugin. One file for both backends: the
// instance's class is chosen from the role table's `backend` when the host creates it, so a
// config change between backends is a restart of the role (a hot swap between them is refused by
// the state images' tags). See docs/engine.md.
//
// Builds (CMakeLists.txt): alys_engine writes and reads state schema 1; alys_engine_v2
// (ENGINE_STATE_SCHEMA=2, version "...-v2") also counts hand-overs in schema 2; and
// alys_engine_bad_restore (ENGINE_FAIL_RESTORE) refuses every snapshot, to test a swap's
// rollback. The engine-api backend's image carries no schema of its own beyond its tag.
//
// ALYS_CAP_DEDICATED_THREAD: the engine-api backend's calls to the execution client block (up to
// engine_timeout_ms), and a blocked handler must not hold a thread of the shared pool. The
// embedded backend does not block, and loses nothing on a thread of its own.
#include "alys/plugin.hpp"
#include "alys_version.hpp"
#include "engine/engine_backends.hpp"
#include "engine/engine_config.hpp"

#ifndef ENGINE_STATE_SCHEMA
#define ENGINE_STATE_SCHEMA 1
#endif
#ifndef ENGINE_VERSION_SUFFIX
#define ENGINE_VERSION_SUFFIX ""
#endif

namespace {

struct EnginePlugin {
  static std::unique_ptr<alys::Actor> create(alys::Context context) {
    if (alys::engine::backend_of(context.config_json()) == alys::engine::kEngineApiBackend)
      return alys::engine::engine_api_backend::make_engine_api_actor(context);
    // An unknown backend too: its on_start reads the table and refuses it by name.
    return alys::engine::embedded::make_embedded_actor(context);
  }

  // The host's check of a table before it applies it: the reader on_start uses.
  static void check_config(std::string_view table_json, alys::ConfigProblems& problems) {
    (void)alys::engine::read_engine_config(table_json, problems);
  }
};

}  // namespace

ALYS_PLUGIN(EnginePlugin,
            alys::PluginInfo{.role = "engine",
                             .name = "alys-engine",
                             .version = ALYS_NODE_VERSION ENGINE_VERSION_SUFFIX,
                             .state_schema_version = ENGINE_STATE_SCHEMA,
                             .capabilities = ALYS_CAP_SWAPPABLE | ALYS_CAP_DEDICATED_THREAD,
                             .requires_roles = {"storage"}});
