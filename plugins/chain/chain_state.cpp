#include "chain_state.hpp"

#include <algorithm>
#include <string>

#include "alys/domain/sha256.hpp"
#include "alys/status.hpp"

namespace alys::chain {
namespace {

constexpr std::size_t kDigestSize = 32;

// The fields of schema `Version`, in order, through the codec's Writer (a const state) or Reader.
template <std::uint32_t Version, class State, class Io>
void schema_fields(State& state, Io& io) {
  io(state.running, state.head, state.has_finalized, state.finalized_height, state.finalized_hash,
     state.last_approved_height, state.last_approved_hash, state.anchor_hash, state.paused,
     state.slot_timer, state.in_flight, state.queued, state.pending, state.early_approvals,
     state.has_mining, state.mining, state.block_queries, state.spec_digest, state.round,
     state.last_approved_round, state.approvals);
  if constexpr (Version >= 2) io(state.handoffs);
}

template <std::uint32_t Version>
void read_fields(ByteView body, ChainState& state) {
  Reader reader(body);
  schema_fields<Version>(state, reader);
  if (reader.remaining() != 0)
    throw DecodeError(std::to_string(reader.remaining()) + " bytes after the last field");
}

Error invalid(std::uint32_t schema_version, const std::string& why) {
  return Error(ALYS_ERR_INVALID,
               "chain state (schema " + std::to_string(schema_version) + "): " + why);
}

void check_jobs(const ChainState& state, std::uint32_t schema_version) {
  if (state.in_flight.size() > 1)
    throw invalid(schema_version,
                  std::to_string(state.in_flight.size()) + " jobs in flight (at most one runs)");
  auto known = [](const JobState& job) {
    return job.kind == JobKind::import || job.kind == JobKind::produce;
  };
  for (const auto* jobs : {&state.in_flight, &state.queued})
    for (const JobState& job : *jobs)
      if (!known(job))
        throw invalid(schema_version,
                      "unknown job kind " + std::to_string(static_cast<unsigned>(job.kind)));
  for (const JobState& held : state.pending)
    if (held.kind != JobKind::import)
      throw invalid(schema_version, "a held block that is not an import");
}

}  // namespace

Bytes write_chain_state(const ChainState& state, std::uint32_t schema_version) {
  Bytes bytes;
  Writer writer(bytes);
  switch (schema_version) {
    case 1:
      schema_fields<1>(state, writer);
      break;
    case 2:
      schema_fields<2>(state, writer);
      break;
    default:
      throw Error(ALYS_ERR_SCHEMA, "the chain writes state schema 1 to " +
                                       std::to_string(kNewestChainStateSchema) + ", not " +
                                       std::to_string(schema_version));
  }
  const Hash32 digest = sha256(bytes);
  bytes.insert(bytes.end(), digest.begin(), digest.end());
  return bytes;
}

ChainState read_chain_state(ByteView bytes, std::uint32_t schema_version) {
  if (schema_version < 1 || schema_version > kNewestChainStateSchema)
    throw Error(ALYS_ERR_SCHEMA, "the chain reads state schema 1 to " +
                                     std::to_string(kNewestChainStateSchema) + ", not " +
                                     std::to_string(schema_version));
  if (bytes.size() < kDigestSize)
    throw invalid(schema_version, std::to_string(bytes.size()) +
                                      " bytes, fewer than its 32-byte checksum: truncated");
  const ByteView body = bytes.first(bytes.size() - kDigestSize);
  const Hash32 digest = sha256(body);
  if (!std::equal(digest.begin(), digest.end(), bytes.end() - kDigestSize))
    throw invalid(schema_version, "checksum mismatch over " + std::to_string(body.size()) +
                                      " bytes: truncated or corrupt");
  ChainState state;
  try {
    if (schema_version == 1)
      read_fields<1>(body, state);
    else
      read_fields<2>(body, state);
  } catch (const DecodeError& error) {
    throw invalid(schema_version, error.what());
  }
  check_jobs(state, schema_version);
  return state;
}

}  // namespace alys::chain
