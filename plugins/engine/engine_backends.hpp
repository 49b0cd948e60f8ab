// The engine role's two backends, one plugin file (engine_plugin.cpp picks one per instance by the
// table's `backend`): "embedded", the built-in ledger (engine_actor.cpp), and "engine-api", an
// execution client driven over the Engine API (engine_api_backend/engine_api_actor.hpp).
#pragma once

#include <memory>

#include "alys/actor.hpp"
#include "engine/engine_api_backend/engine_api_actor.hpp"

namespace alys::engine::embedded {

std::unique_ptr<alys::Actor> make_embedded_actor(alys::Context context);

}  // namespace alys::engine::embedded
