// The fixture of the storage suite (storage.test.cpp): the real plugin file loaded into the
// in-process harness with one backend's config, and typed helpers for each request.
//
// The backends are types (MemoryBackendConfig, LevelDbBackendConfig) so that one test body runs
// against both with TEMPLATE_TEST_CASE; switching backend is a config change only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "alys/schemas/storage.hpp"
#include "alys/testing.hpp"
#include "temp_dir.hpp"

namespace storage_suite {

using alys::Bytes;
using alys::Hash32;
using namespace alys::storage;

// Set by CMakeLists.txt from $<TARGET_FILE:alys_storage>.
constexpr const char* kPluginFile = ALYS_STORAGE_PLUGIN;
// The same plugin at state schema 2 (CMakeLists.txt: alys_storage_v2), for hot swap.
constexpr const char* kPluginV2File = ALYS_STORAGE_V2_PLUGIN;

struct MemoryBackendConfig {
  static std::string toml(const std::filesystem::path& /*dir*/) { return "backend = \"memory\"\n"; }
};

struct LevelDbBackendConfig {
  static std::string toml(const std::filesystem::path& dir) {
    return "backend = \"leveldb\"\npath = \"" + (dir / "chain.db").string() + "\"\n";
  }
};

// A hash that names (height, fork): distinct for every pair a test uses.
inline Hash32 hash_of(std::uint64_t height, char fork = 'a') {
  Hash32 hash{};
  hash[0] = static_cast<std::uint8_t>(fork);
  for (int i = 0; i < 8; ++i) hash[31 - i] = static_cast<std::uint8_t>(height >> (8 * i));
  return hash;
}

// Block bytes of `size` that also say which block they are.
inline Bytes block_bytes(std::uint64_t height, char fork, std::size_t size) {
  Bytes bytes(size, static_cast<std::uint8_t>(fork));
  for (std::size_t i = 0; i < size && i < 8; ++i)
    bytes[i] = static_cast<std::uint8_t>(height >> (8 * i));
  return bytes;
}

inline CommitBlock block_at(std::uint64_t height, char fork = 'a', std::size_t size = 100) {
  CommitBlock commit;
  commit.height = height;
  commit.hash = hash_of(height, fork);
  commit.block = block_bytes(height, fork, size);
  return commit;
}

inline Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

// A storage role in a harness. The directory outlives the harness (members are destroyed in
// reverse order), so the database closes before its files go.
class StorageNode {
 public:
  explicit StorageNode(const std::string& config_toml) {
    harness_.add("storage", kPluginFile, config_toml);
    harness_.start();
  }

  template <class Reply, class Request>
  Reply ask(const Request& request) {
    std::uint64_t id = harness_.request("storage", request);
    harness_.run();
    std::optional<Reply> reply = harness_.reply_as<Reply>(id);
    if (!reply)
      throw std::runtime_error(std::string("no ") + std::string(Reply::schema_name) +
                               " in reply to " + std::string(Request::schema_name));
    return *reply;
  }

  Committed commit(const CommitBlock& commit) { return ask<Committed>(commit); }
  Head head() { return ask<Head>(GetHead{}); }
  BlockFound by_hash(const Hash32& hash) { return ask<BlockFound>(GetBlockByHash{hash}); }
  BlockFound by_height(std::uint64_t height) { return ask<BlockFound>(GetBlockByHeight{height}); }
  BlockRange range(std::uint64_t from, std::uint32_t max_count = 256,
                   std::uint64_t max_bytes = 8 << 20) {
    return ask<BlockRange>(GetBlockRange{from, max_count, max_bytes});
  }
  EngineStatePage scan(std::optional<Bytes> start_after, std::uint32_t max_entries) {
    ScanEngineState request;
    request.from_start = !start_after;
    if (start_after) request.start_after = *start_after;
    request.max_entries = max_entries;
    return ask<EngineStatePage>(request);
  }
  // Every engine entry, page by page as a reader would: `pages` counts the requests.
  std::vector<KeyValue> scan_all(std::uint32_t page_size, int& pages) {
    std::vector<KeyValue> all;
    std::optional<Bytes> after;
    pages = 0;
    for (;;) {
      EngineStatePage page = scan(after, page_size);
      ++pages;
      if (!page.error.empty()) throw std::runtime_error("scan: " + page.error);
      all.insert(all.end(), page.entries.begin(), page.entries.end());
      if (!page.more) return all;
      if (page.entries.empty()) throw std::runtime_error("scan: more without entries");
      after = page.entries.back().key;
    }
  }
  // Commits heights [from, to] of `fork`, requiring each to succeed.
  void commit_chain(std::uint64_t from, std::uint64_t to, char fork = 'a') {
    for (std::uint64_t height = from; height <= to; ++height) {
      Committed committed = commit(block_at(height, fork));
      if (!committed.error.empty())
        throw std::runtime_error("commit of height " + std::to_string(height) +
                                 " failed: " + committed.error);
    }
  }

  alys::testing::Harness& harness() { return harness_; }

 private:
  alys::testing::Harness harness_;
};

// A StorageNode over one backend, with a directory of its own for the leveldb database.
template <class BackendConfig>
class SuiteNode {
 public:
  SuiteNode() : node_(BackendConfig::toml(dir_.path())) {}
  StorageNode& operator*() { return node_; }
  StorageNode* operator->() { return &node_; }

 private:
  alys::testing::TempDir dir_{"alys-storage"};
  StorageNode node_;
};

}  // namespace storage_suite
