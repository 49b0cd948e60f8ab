// Reads a plugin's manifest straight from its file (the ELF dynamic symbol table), so the ABI gate
// runs before any code of the plugin, not even a static constructor.
#pragma once

#include <filesystem>

#include "alys/abi.h"
#include "alys/status.hpp"

namespace alys::host {

// The manifest as the host understands it (ABI 1.x layout). If the plugin's major differs, only
// abi_major/abi_minor are meaningful: check them before anything else.
// Fails when the file is unreadable, not a 64-bit little-endian ELF shared object, has no
// `alys_plugin_manifest` dynamic symbol, or the symbol is smaller than the two version fields;
// the message names the file.
Result<alys_manifest> read_manifest(const std::filesystem::path& file);

}  // namespace alys::host
