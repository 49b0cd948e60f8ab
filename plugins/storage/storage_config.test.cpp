// The [storage] table's reader, as the start and the host's table check both use it.
#include "storage/storage_config.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using alys::ConfigProblem;
using alys::ConfigProblems;
using alys::storage::BackendKind;
using alys::storage::read_storage_config;
using alys::storage::StorageConfig;
using Catch::Matchers::Contains;

namespace {

std::vector<ConfigProblem> problems_of(std::string_view json) {
  ConfigProblems problems;
  (void)read_storage_config(json, problems);
  return problems.list();
}

}  // namespace

TEST_CASE("a table with every key is read", "[storage_config]") {
  ConfigProblems problems;
  StorageConfig config =
      read_storage_config(R"({"backend": "leveldb", "path": "db", "sync": false, "cache_mb": 16,)"
                          R"( "max_open_files": 100, "host": {"data_dir": "/var/lib/alysd"}})",
                          problems);
  CHECK(problems.empty());
  CHECK(config.backend == BackendKind::leveldb);
  CHECK(config.leveldb.path == "/var/lib/alysd/db");
  CHECK_FALSE(config.leveldb.sync);
  CHECK(config.leveldb.cache_mb == 16);
  CHECK(config.leveldb.max_open_files == 100);
}

TEST_CASE("defaults: leveldb at chain.db under host.data_dir", "[storage_config]") {
  ConfigProblems problems;
  StorageConfig config = read_storage_config(R"({"host": {"data_dir": "/d"}})", problems);
  CHECK(problems.empty());
  CHECK(config.leveldb.path == "/d/chain.db");
  CHECK(config.leveldb.sync);
  CHECK(config.leveldb.cache_mb == 8);
  CHECK(config.leveldb.max_open_files == 256);
}

TEST_CASE("wrong types, values out of range and unknown keys are all reported with their keys",
          "[storage_config]") {
  std::vector<ConfigProblem> problems =
      problems_of(R"({"backend": "memory", "sync": "yes", "cache_mb": 0, "max_open_files": 1.5,)"
                  R"( "cahce_mb": 8})");
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].key == "cahce_mb");
  CHECK(problems[0].code == ALYS_ERR_INVALID);
  CHECK_THAT(problems[0].message, Contains("unknown key"));
  CHECK(problems[1].key == "sync");
  CHECK(problems[1].code == ALYS_ERR_TYPE);
  CHECK(problems[1].message == "must be true or false");
  CHECK(problems[2].key == "cache_mb");
  CHECK(problems[2].code == ALYS_ERR_INVALID);
  CHECK(problems[2].message == "must be from 1 to 65536, got 0");
  CHECK(problems[3].key == "max_open_files");
  CHECK(problems[3].code == ALYS_ERR_TYPE);
  CHECK(problems[3].message == "must be an integer");
}

TEST_CASE("backend and path are checked without touching the disk", "[storage_config]") {
  std::vector<ConfigProblem> backend = problems_of(R"({"backend": "rocksdb", "path": "/x"})");
  REQUIRE(backend.size() == 1);
  CHECK(backend[0].key == "backend");
  CHECK_THAT(backend[0].message, Contains("\"leveldb\" or \"memory\"") && Contains("rocksdb"));
  std::vector<ConfigProblem> typed = problems_of(R"({"backend": 7, "path": "/x"})");
  REQUIRE(typed.size() == 1);
  CHECK(typed[0].code == ALYS_ERR_TYPE);
  std::vector<ConfigProblem> empty = problems_of(R"({"path": ""})");
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].key == "path");
  CHECK(empty[0].message == "must not be empty");
  // Relative, and no host.data_dir to resolve it against (a node always sets one).
  std::vector<ConfigProblem> relative = problems_of(R"({"path": "db"})");
  REQUIRE(relative.size() == 1);
  CHECK_THAT(relative[0].message, Contains("host.data_dir"));
  // The memory backend has no path to resolve.
  CHECK(problems_of(R"({"backend": "memory"})").empty());
  // A directory that cannot exist is the start's to find, not the check's.
  CHECK(problems_of(R"({"path": "/proc/nonexistent/db"})").empty());
}

TEST_CASE("the start's error names every problem", "[storage_config]") {
  ConfigProblems problems;
  (void)read_storage_config(R"({"backend": "memory", "sync": 1, "cache_mb": -1})", problems);
  CHECK(problems.describe("storage") ==
        "storage.sync: must be true or false\nstorage.cache_mb: must be from 1 to 65536, got -1");
}
