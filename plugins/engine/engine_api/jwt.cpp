#include "engine/engine_api/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "alys/domain/hash.hpp"

namespace alys::engine::engine_api {

std::string base64url(ByteView bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n =
        std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out.push_back(kAlphabet[n >> 6 & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16;
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
  } else if (rest == 2) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8;
    out.push_back(kAlphabet[n >> 18 & 63]);
    out.push_back(kAlphabet[n >> 12 & 63]);
    out.push_back(kAlphabet[n >> 6 & 63]);
  }
  return out;
}

namespace {

ByteView text_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::string hs256_token(ByteView key, std::string_view payload_json) {
  static constexpr std::string_view kHeader = R"({"typ":"JWT","alg":"HS256"})";
  std::string signing_input =
      base64url(text_bytes(kHeader)) + "." + base64url(text_bytes(payload_json));
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  // HMAC() is the one-shot form OpenSSL 3 keeps undeprecated; a null key pointer with length 0
  // would be taken as "no key", hence the dummy byte.
  const std::uint8_t kEmpty = 0;
  if (HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
           mac.data(), &mac_size) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  return signing_input + "." + base64url(ByteView(mac.data(), mac_size));
}

std::string engine_jwt(const JwtSecret& secret, std::int64_t issued_at_s) {
  return hs256_token(secret, "{\"iat\":" + std::to_string(issued_at_s) + "}");
}

Result<JwtSecret> load_jwt_secret(const std::filesystem::path& path) {
  auto fail = [&](std::int32_t code, const std::string& why) {
    return Status(code, "JWT secret file " + path.string() + ": " + why);
  };
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail(ALYS_ERR_NOT_FOUND, "missing (no such file)");
  if (std::filesystem::is_directory(path, ec)) return fail(ALYS_ERR_INVALID, "is a directory");
  // A device or a FIFO named by mistake would block the start or never end.
  if (!std::filesystem::is_regular_file(path, ec))
    return fail(ALYS_ERR_INVALID, "not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ALYS_ERR_FAILED, std::string("unreadable: ") + std::strerror(errno));
  // 64 hex digits, a 0x and some whitespace: anything much longer is not a secret file.
  constexpr std::size_t kMaxSecretFileBytes = 256;
  std::string text(kMaxSecretFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return fail(ALYS_ERR_FAILED, "unreadable: read error");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxSecretFileBytes)
    return fail(ALYS_ERR_INVALID, "longer than " + std::to_string(kMaxSecretFileBytes) +
                                      " bytes: not a secret of 64 hex digits");
  const char* kSpace = " \t\r\n\v\f";
  std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string::npos)
    return fail(ALYS_ERR_INVALID, "empty, the Engine API needs 32 bytes as 64 hex digits");
  std::string_view hex(text);
  hex = hex.substr(first, text.find_last_not_of(kSpace) - first + 1);
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  for (std::size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!is_hex)
      return fail(ALYS_ERR_INVALID, "not hex (character " + std::to_string(i + 1) +
                                        " of the secret is not a hex digit)");
  }
  if (hex.size() % 2 != 0)
    return fail(ALYS_ERR_INVALID, "an odd number of hex digits (" + std::to_string(hex.size()) +
                                      "), the Engine API needs 64");
  if (hex.size() != 2 * kJwtSecretSize)
    return fail(ALYS_ERR_INVALID, std::to_string(hex.size() / 2) + " bytes, the Engine API needs " +
                                      std::to_string(kJwtSecretSize));
  auto bytes = fixed_from_hex<kJwtSecretSize>(hex);
  if (!bytes) return fail(ALYS_ERR_INVALID, "not hex");
  return *bytes;
}

}  // namespace alys::engine::engine_api
