#include "host/loading/elf_manifest.hpp"

#include <elf.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "host/loading/plugin_library.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using alys::host::check_abi;
using alys::host::PluginLibrary;
using alys::host::read_manifest;
using Catch::Matchers::Contains;

using alys::testing::TempDir;

namespace {

fs::path plugin(const std::string& name) {
  return fs::path(ALYS_TEST_PLUGIN_DIR) / ("alys_test_" + name + ".so");
}

std::string file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

alys_manifest read_ok(const fs::path& file) {
  auto result = read_manifest(file);
  if (!result.ok()) FAIL(result.status().message());
  return *result;
}

std::string read_error(const fs::path& file) {
  auto result = read_manifest(file);
  REQUIRE_FALSE(result.ok());
  return result.status().message();
}

std::shared_ptr<PluginLibrary> load_ok(const fs::path& file, const fs::path& scratch) {
  auto result = PluginLibrary::load(file, scratch);
  if (!result.ok()) FAIL(result.status().message());
  return std::move(result).value();
}

std::string load_error(const fs::path& file, const fs::path& scratch) {
  auto result = PluginLibrary::load(file, scratch);
  REQUIRE_FALSE(result.ok());
  return result.status().message();
}

// This host's ABI version as refusals print it.
std::string host_version() { return "1." + std::to_string(ALYS_ABI_MINOR); }

alys_manifest manifest_with(std::uint32_t major, std::uint32_t minor) {
  alys_manifest manifest{};
  manifest.abi_major = major;
  manifest.abi_minor = minor;
  manifest.struct_size = sizeof(alys_manifest);
  return manifest;
}

// True if any mapping of this process comes from a file whose name contains `name`.
bool mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(name) != std::string::npos) return true;
  return false;
}

const fs::path kSystemLibrary = "/usr/lib/x86_64-linux-gnu/libm.so.6";

}  // namespace

TEST_CASE("the test plugins exist", "[elf_manifest]") {
  for (const char* name : {"echo", "counter", "faulty", "slow", "abi_future"}) {
    CAPTURE(name);
    CHECK(fs::is_regular_file(plugin(name)));
  }
}

TEST_CASE("read_manifest reads the counter plugin's manifest from the file", "[elf_manifest]") {
  alys_manifest manifest = read_ok(plugin("counter"));
  CHECK(manifest.abi_major == 1);
  CHECK(manifest.abi_minor == ALYS_ABI_MINOR);
  CHECK(manifest.struct_size == sizeof(alys_manifest));
  CHECK(std::string(manifest.role) == ALYS_ROLE_ANY);
  CHECK(std::string(manifest.role) == "*");
  CHECK(std::string(manifest.name) == "alys-test-counter");
  CHECK(std::string(manifest.version) == "1.0.0");
  CHECK(manifest.state_schema_version == 1);
  CHECK(manifest.capabilities == ALYS_CAP_SWAPPABLE);
  CHECK(manifest.requires_count == 0);
  CHECK(check_abi(manifest, plugin("counter").string()).ok());
}

TEST_CASE("read_manifest reads the other test plugins' manifests", "[elf_manifest]") {
  for (const char* name : {"echo", "faulty", "slow"}) {
    CAPTURE(name);
    alys_manifest manifest = read_ok(plugin(name));
    CHECK(manifest.abi_major == ALYS_ABI_MAJOR);
    CHECK(manifest.abi_minor == ALYS_ABI_MINOR);
    CHECK(manifest.struct_size == sizeof(alys_manifest));
    CHECK(std::string(manifest.role) == "*");
    std::string expected_name = std::string("alys-test-") + name;
    CHECK(std::string(manifest.name) == expected_name);
    CHECK(std::string(manifest.version) == "1.0.0");
    CHECK(manifest.state_schema_version == 0);
    CHECK(manifest.capabilities == 0);
    CHECK(manifest.requires_count == 0);
  }
}

// abi_future's static constructor aborts the process if it ever runs: this test passing (the
// process surviving) proves that neither reading nor the refused load ran any of its code.
TEST_CASE("abi_future reads as ABI 2.0 without running its code", "[elf_manifest]") {
  alys_manifest manifest = read_ok(plugin("abi_future"));
  CHECK(manifest.abi_major == 2);
  CHECK(manifest.abi_minor == 0);
  CHECK(std::string(manifest.name) == "alys-test-abi-future");
  CHECK_FALSE(mapped("alys_test_abi_future"));
}

TEST_CASE("loading abi_future is refused by the gate, naming the file and both versions",
          "[elf_manifest][plugin_library]") {
  TempDir scratch;
  const fs::path file = plugin("abi_future");
  std::string message = load_error(file, scratch.path());
  CHECK_THAT(message, Contains(file.string()));
  CHECK_THAT(message, Contains("2.0"));
  CHECK_THAT(message, Contains(host_version()));
  CHECK_THAT(message, Contains("refused"));
  // Refused before the copy: nothing in the scratch dir, nothing mapped.
  CHECK(scratch.entries().empty());
  CHECK_FALSE(mapped("alys_test_abi_future"));
}

TEST_CASE("check_abi accepts the host's own version", "[elf_manifest][plugin_library]") {
  CHECK(check_abi(manifest_with(ALYS_ABI_MAJOR, ALYS_ABI_MINOR), "p.so").ok());
  CHECK(check_abi(manifest_with(1, 0), "p.so").ok());
}

TEST_CASE("check_abi refuses a newer minor", "[elf_manifest][plugin_library]") {
  auto refused = check_abi(manifest_with(1, ALYS_ABI_MINOR + 1), "/plugins/newer.so");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == ALYS_ERR_UNSUPPORTED);
  CHECK_THAT(refused.message(), Contains("/plugins/newer.so"));
  CHECK_THAT(refused.message(), Contains("1." + std::to_string(ALYS_ABI_MINOR + 1)));
  CHECK_THAT(refused.message(), Contains(host_version()));
  CHECK_THAT(refused.message(), Contains("newer"));
  CHECK_THAT(refused.message(), Contains("upgrade"));
}

TEST_CASE("check_abi refuses another major, older or newer", "[elf_manifest][plugin_library]") {
  for (std::uint32_t major : {0u, 2u, 3u}) {
    CAPTURE(major);
    auto refused = check_abi(manifest_with(major, 0), "other.so");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.code() == ALYS_ERR_UNSUPPORTED);
    CHECK_THAT(refused.message(), Contains("other.so"));
    CHECK_THAT(refused.message(), Contains(std::to_string(major) + ".0"));
    CHECK_THAT(refused.message(), Contains(host_version()));
    CHECK_THAT(refused.message(), Contains("major"));
  }
}

TEST_CASE("check_abi refuses a manifest too small for its version",
          "[elf_manifest][plugin_library]") {
  alys_manifest manifest = manifest_with(1, 0);
  manifest.struct_size = 16;
  auto refused = check_abi(manifest, "small.so");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == ALYS_ERR_UNSUPPORTED);
  CHECK_THAT(refused.message(), Contains("small.so"));
  CHECK_THAT(refused.message(), Contains("16"));
}

TEST_CASE("read_manifest of a missing file is a clear error", "[elf_manifest]") {
  TempDir dir;
  const fs::path missing = dir.path() / "no-such-plugin.so";
  std::string message = read_error(missing);
  CHECK_THAT(message, Contains(missing.string()));
  CHECK_THAT(message, Contains("cannot open"));

  TempDir scratch;
  CHECK_THAT(load_error(missing, scratch.path()), Contains(missing.string()));
}

TEST_CASE("read_manifest of a text file is a clear error", "[elf_manifest]") {
  TempDir dir;
  SECTION("short") {
    const fs::path text = dir.write("notes.so", "this is not a shared library\n");
    CHECK_THAT(read_error(text), Contains(text.string()) && Contains("not an ELF file"));
  }
  SECTION("longer than an ELF header") {
    const fs::path text = dir.write("notes.so", std::string(4096, 'x'));
    CHECK_THAT(read_error(text), Contains(text.string()) && Contains("not an ELF file"));
  }
  SECTION("empty") {
    const fs::path text = dir.write("empty.so", "");
    CHECK_THAT(read_error(text), Contains(text.string()) && Contains("not an ELF file"));
  }
}

TEST_CASE("read_manifest refuses ELF files it cannot use", "[elf_manifest]") {
  TempDir dir;
  SECTION("32-bit") {
    std::string header(sizeof(Elf64_Ehdr), '\0');
    std::memcpy(header.data(), ELFMAG, SELFMAG);
    header[EI_CLASS] = ELFCLASS32;
    header[EI_DATA] = ELFDATA2LSB;
    const fs::path file = dir.write("elf32.so", header);
    CHECK_THAT(read_error(file), Contains(file.string()) && Contains("64-bit"));
  }
  SECTION("not a shared object") {
    Elf64_Ehdr header{};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = ELFCLASS64;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_type = ET_REL;
    const fs::path file =
        dir.write("object.o", std::string(reinterpret_cast<const char*>(&header), sizeof header));
    CHECK_THAT(read_error(file), Contains(file.string()) && Contains("not a shared library"));
  }
  SECTION("truncated after the header") {
    std::string bytes = file_bytes(plugin("counter"));
    REQUIRE(bytes.size() > 4096);
    const fs::path file = dir.write("truncated.so", bytes.substr(0, 4096));
    CHECK_THAT(read_error(file), Contains(file.string()) && Contains("truncated"));
  }
}

TEST_CASE("an ELF library without the manifest symbol is not a plugin", "[elf_manifest]") {
  if (!fs::exists(kSystemLibrary)) {
    WARN(kSystemLibrary.string() << " not found; skipped");
    return;
  }
  std::string message = read_error(kSystemLibrary);
  CHECK_THAT(message, Contains(kSystemLibrary.string()));
  CHECK_THAT(message, Contains(ALYS_MANIFEST_SYMBOL));

  TempDir scratch;
  std::string gate = load_error(kSystemLibrary, scratch.path());
  CHECK_THAT(gate, Contains(kSystemLibrary.string()) && Contains(ALYS_MANIFEST_SYMBOL));
  CHECK(scratch.entries().empty());
}

TEST_CASE("PluginLibrary::load maps the counter plugin", "[elf_manifest][plugin_library]") {
  TempDir scratch;
  const fs::path file = plugin("counter");
  auto library = load_ok(file, scratch.path());
  CHECK(library->file() == file);
  CHECK(std::string(library->manifest().name) == "alys-test-counter");
  CHECK(library->manifest().state_schema_version == 1);
  CHECK(library->manifest().capabilities == ALYS_CAP_SWAPPABLE);
  const alys_plugin_function_table& functions = library->functions();
  CHECK(functions.struct_size >= sizeof(alys_plugin_function_table));
  CHECK(functions.alys_plugin_on_create != nullptr);
  CHECK(functions.alys_plugin_on_start != nullptr);
  CHECK(functions.alys_plugin_on_handle != nullptr);
  CHECK(functions.alys_plugin_on_snapshot != nullptr);
  CHECK(functions.alys_plugin_on_restore != nullptr);
  CHECK(functions.alys_plugin_on_stop != nullptr);
  CHECK(functions.alys_plugin_on_destroy != nullptr);
  CHECK(functions.alys_plugin_on_health != nullptr);
  CHECK_FALSE(library->factory());
  // The copy's name is gone once mapped; the original file is untouched.
  CHECK(scratch.entries().empty());
  CHECK(fs::exists(file));
}

TEST_CASE("loading the same plugin twice gives two independent private copies",
          "[elf_manifest][plugin_library]") {
  TempDir scratch;
  const fs::path file = plugin("counter");
  auto first = load_ok(file, scratch.path());
  auto second = load_ok(file, scratch.path());
  REQUIRE(first != second);
  CHECK(&first->functions() != &second->functions());
  CHECK(first->functions().alys_plugin_on_create != second->functions().alys_plugin_on_create);
  CHECK(first->functions().alys_plugin_on_handle != second->functions().alys_plugin_on_handle);
  CHECK(std::memcmp(&first->manifest(), &second->manifest(), sizeof(alys_manifest)) == 0);
  CHECK(scratch.entries().empty());

  // Dropping one leaves the other usable.
  const alys_plugin_function_table* kept = &second->functions();
  first.reset();
  CHECK(&second->functions() == kept);
  CHECK(second->functions().struct_size >= sizeof(alys_plugin_function_table));
}

TEST_CASE("PluginLibrary::load creates a missing scratch dir", "[elf_manifest][plugin_library]") {
  TempDir base;
  const fs::path scratch = base.path() / "nested" / "scratch";
  auto library = load_ok(plugin("echo"), scratch);
  CHECK(std::string(library->manifest().name) == "alys-test-echo");
  CHECK(fs::is_directory(scratch));
  CHECK(fs::is_empty(scratch));
}

TEST_CASE("PluginLibrary::load of a non-ELF file is a clear gate error",
          "[elf_manifest][plugin_library]") {
  TempDir dir;
  const fs::path text = dir.write("fake.so", "#!/bin/sh\necho not a plugin\n");
  TempDir scratch;
  std::string message = load_error(text, scratch.path());
  CHECK_THAT(message, Contains(text.string()) && Contains("not an ELF file"));
  CHECK(scratch.entries().empty());
}

namespace {

// Lines of /proc/self/maps that map a file whose path contains `needle`.
std::size_t mappings_of(const std::string& needle) {
  std::ifstream maps("/proc/self/maps");
  std::size_t count = 0;
  for (std::string line; std::getline(maps, line);)
    if (line.find(needle) != std::string::npos) ++count;
  return count;
}

}  // namespace

TEST_CASE("a plugin really unmaps when its library is released (no GNU-unique pin)",
          "[elf_manifest][plugin_library]") {
  TempDir scratch;
  // The private copies carry the file name; the scratch dir's unique name tells them apart from
  // any other test's.
  const std::string needle = scratch.path().filename().string();
  auto library = load_ok(plugin("counter"), scratch.path());
  CHECK(mappings_of(needle) > 0);
  library.reset();
  CHECK(mappings_of(needle) == 0);
}
