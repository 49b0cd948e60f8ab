// The admin token file: the secret alys-ctl sends as `Authorization: Bearer <token>`.
#pragma once

#include <filesystem>
#include <string>

#include "alys/status.hpp"

namespace alys::host {

// The token in `file`: its first line without the whitespace around it (spaces, tabs, and the
// "\r" of a file written on Windows); what follows the first line is ignored. Fails, naming the
// file, when it cannot be opened or read (ALYS_ERR_NOT_FOUND), is not a regular file, or its first
// line is blank (ALYS_ERR_INVALID). Thread-safe.
Result<std::string> read_token_file(const std::filesystem::path& file);

}  // namespace alys::host
