// The engine role's `engine-api` backend: an execution client (Geth) holds the state and executes
// the payloads; this actor drives it over the Engine API (docs/engine.md, "The engine-api
// backend"). Same role, same messages (alys/schemas/engine.hpp) as the embedded backend:
//
//   BuildGenesis    the client's block 0, checked against the chain spec
//   BuildPayload    forkchoiceUpdatedV2(parent, attributes{time, fee recipient, mints as
//                   withdrawals}) -> build_wait_ms -> getPayloadV2
//   ExecutePayload  newPayloadV2; VALID -> the state root and the fees its receipts paid
//   CommitPayload   forkchoiceUpdatedV2(head = it, safe = finalized = the finalized block); only
//                   then the head moves, and the block's RequestPegOut logs are published
//   SetFinalized    the canonical hash at that number becomes safe and finalized at once
//
// The head is the chain's stored head (storage::GetHead), never Geth's: at start, after the client
// comes back, and after an unknown CommitPayload, the actor reads the stored chain and replays the
// payloads the client lacks (newPayloadV2 in order, then forkchoiceUpdatedV2). Engine requests are
// held, in order, while it does. A client that does not answer (transport errors, timeouts) makes
// the actor degraded; a timer probes it every second, and when it answers the actor re-syncs.
//
// Threading: EngineClient calls block (up to engine_timeout_ms); the plugin declares
// ALYS_CAP_DEDICATED_THREAD, so they block this actor's own thread, not the shared pool.
#pragma once

#include <memory>

#include "alys/actor.hpp"

namespace alys::engine::engine_api_backend {

std::unique_ptr<alys::Actor> make_engine_api_actor(alys::Context context);

}  // namespace alys::engine::engine_api_backend
