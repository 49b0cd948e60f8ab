// alys-storage: the `storage` role. Keeps the chain (blocks by hash, the canonical height index,
// head and finalized pointers) and the engine's state in one database, each imported block
// committed with its index, pointers and engine changes as one atomic batch, so that a crash at
// any instant leaves a consistent chain (docs/storage.md). Every request of
// alys/schemas/storage.hpp gets its reply type; a refused or failed request is answered with
// `error` set, and a block that is not there is `found = false`.
//
// Role settings (`[storage]`): backend, path, sync, cache_mb, max_open_files — see
// docs/storage.md. Runs on a dedicated thread: LevelDB blocks on disk I/O.
//
// Swappable (storage_state.hpp): the old instance closes the database when it stops and the new
// one reopens it; a memory database's entries are handed over. Commits are synchronous within one
// message, so no batch is ever open across a swap.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "alys/plugin.hpp"
#include "alys/schemas/storage.hpp"
#include "alys_version.hpp"
#include "storage/backend.hpp"
#include "storage/memory/memory_backend.hpp"
#include "storage/storage_config.hpp"
#include "storage/storage_state.hpp"

// The test build alys_storage_v2 says so in its version.
#ifndef ALYS_STORAGE_VERSION
#define ALYS_STORAGE_VERSION ALYS_NODE_VERSION
#endif

namespace alys::storage {
namespace {

class StorageActor : public Actor {
 public:
  explicit StorageActor(Context context) : Actor(context) {
    on_request<CommitBlock>(
        [this](const CommitBlock& request, const Envelope&) { return commit(request); });
    on_request<PutChainState>(
        [this](const PutChainState& request, const Envelope&) { return put_chain_state(request); });
    on_request<GetHead>([this](const GetHead&, const Envelope&) {
      return read<GetHead, Head>([this](Head& head) {
        if (const auto& pointer = backend_->head()) {
          head.has_head = true;
          head.height = pointer->height;
          head.hash = pointer->hash;
        }
        if (const auto& pointer = backend_->finalized()) {
          head.has_finalized = true;
          head.finalized_height = pointer->height;
          head.finalized_hash = pointer->hash;
        }
      });
    });
    on_request<GetBlockByHash>([this](const GetBlockByHash& request, const Envelope&) {
      return read<GetBlockByHash, BlockFound>(
          [&](BlockFound& reply) { found_into(reply, backend_->block_by_hash(request.hash)); });
    });
    on_request<GetBlockByHeight>([this](const GetBlockByHeight& request, const Envelope&) {
      return read<GetBlockByHeight, BlockFound>(
          [&](BlockFound& reply) { found_into(reply, backend_->block_by_height(request.height)); });
    });
    on_request<GetBlockRange>([this](const GetBlockRange& request, const Envelope&) {
      return read<GetBlockRange, BlockRange>([&](BlockRange& reply) {
        if (request.max_count == 0) {
          reply.error = "max_count must be at least 1";
          return;
        }
        reply.blocks =
            backend_->block_range(request.from_height, request.max_count, request.max_bytes);
      });
    });
    on_request<GetChainState>([this](const GetChainState&, const Envelope&) {
      return read<GetChainState, ChainState>(
          [&](ChainState& reply) { reply.entries = backend_->chain_state(); });
    });
    on_request<ScanEngineState>([this](const ScanEngineState& request, const Envelope&) {
      return read<ScanEngineState, EngineStatePage>([&](EngineStatePage& reply) {
        if (request.max_entries == 0) {
          reply.error = "max_entries must be at least 1";
          return;
        }
        // An empty start_after without from_start is "keys > empty", which is every key too.
        std::optional<Bytes> start_after;
        if (!request.from_start || !request.start_after.empty()) start_after = request.start_after;
        EnginePage page = backend_->scan_engine(start_after, request.max_entries);
        reply.entries = std::move(page.entries);
        reply.more = page.more;
      });
    });
  }

  // The host's check of a table before it applies it: the reader on_start uses.
  static void check_config(std::string_view table_json, ConfigProblems& problems) {
    (void)read_storage_config(table_json, problems);
  }

  void on_start() override {
    StorageConfig config = read_config(context());
    if (restored_ && restored_->backend == BackendKind::memory)
      backend_ = std::make_unique<MemoryBackend>(std::move(restored_->memory_entries));
    else
      backend_ = open_backend(config);
    config_ = config;
    const auto& head = backend_->head();
    context().log(LogLevel::info,
                  "opened the " + backend_->describe() +
                      (head ? ", head at height " + std::to_string(head->height) : ", empty") +
                      (config.backend == BackendKind::leveldb && !config.leveldb.sync
                           ? " (sync = false: a crash can lose the last commits)"
                           : ""));
  }

  void on_stop() override { backend_.reset(); }

  StateSnapshot snapshot(std::uint32_t target_schema_version) override {
    StorageState state;
    state.backend = config_.backend;
    state.handoffs = handoffs_;
    if (config_.backend == BackendKind::leveldb) state.leveldb_path = config_.leveldb.path.string();
    if (const auto* memory = dynamic_cast<const MemoryBackend*>(backend_.get()))
      state.memory_entries = memory->entries();
    return encode_storage_state(state, target_schema_version);
  }

  // Before start: a state of another database than this instance's config names fails the swap
  // here, and the host rolls back to the old version.
  void restore(ByteView bytes, std::uint32_t schema_version) override {
    StorageState state = decode_storage_state(bytes, schema_version);
    if (std::string mismatch = restore_mismatch(state, read_config(context())); !mismatch.empty())
      throw Error(ALYS_ERR_INVALID, "cannot take over the storage: " + mismatch);
    handoffs_ = state.handoffs + 1;
    restored_ = std::move(state);
  }

  // Sticky until the restart: a write failed, and only a fresh open tells whether the disk is
  // usable again.
  std::string health() override { return write_failure_; }

 private:
  // The reply to a read request: `fill`'s, or the database's error.
  template <class Request, class Reply, class Fill>
  Reply read(Fill&& fill) {
    context().counter_add("storage_reads_total");
    Reply reply;
    try {
      fill(reply);
    } catch (const StoreFailure& failure) {
      reply = Reply{};
      reply.error = failure.what();
      context().log(LogLevel::error,
                    std::string(Request::schema_name) + " failed: " + failure.what());
    }
    return reply;
  }

  static void found_into(BlockFound& reply, std::optional<StoredBlock> block) {
    if (!block) return;
    reply.found = true;
    reply.block = std::move(*block);
  }

  Committed commit(const CommitBlock& request) {
    Committed reply;
    auto started = std::chrono::steady_clock::now();
    try {
      std::uint64_t bytes = backend_->commit(request);
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
      context().histogram_observe("storage_commit_seconds", took.count());
      context().counter_add("storage_commits_total");
      context().counter_add("storage_commit_bytes_total", bytes);
    } catch (const Rejected& rejected) {
      reply.error = rejected.what();
      context().counter_add("storage_commits_rejected_total");
      context().log(LogLevel::warn, "commit of height " + std::to_string(request.height) +
                                        " refused: " + rejected.what());
    } catch (const StoreFailure& failure) {
      reply.error = failure.what();
      write_failure_ = std::string("a commit failed: ") + failure.what();
      context().counter_add("storage_commit_failures_total");
      context().log(LogLevel::error, "commit of height " + std::to_string(request.height) +
                                         " failed: " + failure.what());
    }
    return reply;
  }

  Committed put_chain_state(const PutChainState& request) {
    Committed reply;
    try {
      context().counter_add("storage_commit_bytes_total", backend_->put_chain_state(request.puts));
      context().counter_add("storage_chain_state_writes_total");
    } catch (const Rejected& rejected) {
      reply.error = rejected.what();
      context().counter_add("storage_commits_rejected_total");
    } catch (const StoreFailure& failure) {
      reply.error = failure.what();
      write_failure_ = std::string("a chain state write failed: ") + failure.what();
      context().counter_add("storage_commit_failures_total");
      context().log(LogLevel::error, std::string("chain state write failed: ") + failure.what());
    }
    return reply;
  }

  StorageConfig config_;
  std::unique_ptr<Backend> backend_;
  std::string write_failure_;
  std::optional<StorageState> restored_;  // from restore() until on_start opens the database
  std::uint64_t handoffs_ = 0;            // hand-offs this state went through (schema 2 keeps it)
};

}  // namespace
}  // namespace alys::storage

ALYS_PLUGIN(alys::storage::StorageActor,
            alys::PluginInfo{.role = "storage",
                             .name = "alys-storage",
                             .version = ALYS_STORAGE_VERSION,
                             .state_schema_version = alys::storage::kStorageStateSchema,
                             .capabilities = ALYS_CAP_DEDICATED_THREAD | ALYS_CAP_SWAPPABLE});
