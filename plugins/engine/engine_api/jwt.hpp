// Engine API authentication: the HS256 JSON Web Token an execution client demands on every call to
// its authenticated port (execution-apis, src/engine/authentication.md). The secret is 32 bytes,
// kept as 64 hex digits in a file that the consensus and the execution client share; the token's
// only claim is `iat`, which the execution client accepts within ±60 s of its own clock, so a
// token is made fresh for every request rather than cached.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "alys/codec.hpp"
#include "alys/status.hpp"

namespace alys::engine::engine_api {

inline constexpr std::size_t kJwtSecretSize = 32;
using JwtSecret = std::array<std::uint8_t, kJwtSecretSize>;

// base64url (RFC 4648 §5) without '=' padding, as JWS compact serialization wants.
std::string base64url(ByteView bytes);

// header.payload.signature for `payload_json` taken byte for byte, with the header
// {"typ":"JWT","alg":"HS256"} and an HMAC-SHA256 signature under `key` (any length: HMAC allows it,
// and the published vectors use a 6-byte key).
std::string hs256_token(ByteView key, std::string_view payload_json);

// The token the Engine API wants: payload {"iat":<issued_at_s>}.
std::string engine_jwt(const JwtSecret& secret, std::int64_t issued_at_s);

// Reads the secret file an execution client was started with (geth --authrpc.jwtsecret): 64 hex
// digits, an optional 0x, whitespace around them allowed. The error names the file and says what
// is wrong with it: missing, unreadable, not hex, or of the wrong length.
Result<JwtSecret> load_jwt_secret(const std::filesystem::path& path);

}  // namespace alys::engine::engine_api
