#include "wire/secure_channel.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

namespace alys::network::wire {
namespace {

using Nonce = std::array<std::uint8_t, 12>;

constexpr std::size_t kKeptBufferCapacity = 64 * 1024;

Nonce nonce_of(std::uint64_t counter) {
  Nonce nonce{};
  for (std::size_t i = 0; i < 8; ++i) nonce[i] = static_cast<std::uint8_t>(counter >> (8 * i));
  return nonce;
}

struct FreeCipherContext {
  void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, FreeCipherContext>;

// A context holding the key: each record then sets only its nonce, not the key schedule.
CipherContext keyed_context(const SymmetricKey& key, bool encrypt) {
  CipherContext context(EVP_CIPHER_CTX_new());
  if (!context) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  if (EVP_CipherInit_ex(context.get(), EVP_chacha20_poly1305(), nullptr, key.data(), nullptr,
                        encrypt ? 1 : 0) != 1)
    throw std::runtime_error("ChaCha20-Poly1305 is not available from libcrypto");
  return context;
}

std::array<std::uint8_t, kRecordHeaderSize> length_prefix(std::uint32_t length) {
  return {static_cast<std::uint8_t>(length), static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length >> 16), static_cast<std::uint8_t>(length >> 24)};
}

}  // namespace

std::string_view to_string(ChannelFailure failure) {
  switch (failure) {
    case ChannelFailure::none:
      return "none";
    case ChannelFailure::oversize_record:
      return "oversize_record";
    case ChannelFailure::authentication_failed:
      return "authentication_failed";
  }
  return "unknown";
}

struct Sealer::Impl {
  CipherContext context;
  std::uint64_t counter = 0;
};

Sealer::Sealer(const SymmetricKey& key) : impl_(std::make_unique<Impl>()) {
  impl_->context = keyed_context(key, true);
}
Sealer::~Sealer() = default;
Sealer::Sealer(Sealer&&) noexcept = default;
Sealer& Sealer::operator=(Sealer&&) noexcept = default;

Bytes Sealer::seal(ByteView plaintext) {
  Bytes record;
  seal_into(plaintext, record);
  return record;
}

void Sealer::seal_into(ByteView plaintext, Bytes& out) {
  // EVP takes int lengths; a record's length field is 32 bits.
  if (plaintext.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) - kRecordTagSize)
    throw std::length_error("record plaintext above 2 GiB");
  if (impl_->counter == std::numeric_limits<std::uint64_t>::max())
    throw std::runtime_error("record counter exhausted: the connection must be renewed");
  auto length = static_cast<std::uint32_t>(plaintext.size() + kRecordTagSize);
  auto header = length_prefix(length);
  std::size_t start = out.size();
  out.resize(start + kRecordHeaderSize + length);
  std::copy(header.begin(), header.end(), out.begin() + static_cast<std::ptrdiff_t>(start));
  std::uint8_t* cipher = out.data() + start + kRecordHeaderSize;
  EVP_CIPHER_CTX* context = impl_->context.get();
  Nonce nonce = nonce_of(impl_->counter);
  int written = 0;
  int final_written = 0;
  if (EVP_EncryptInit_ex(context, nullptr, nullptr, nullptr, nonce.data()) != 1 ||
      EVP_EncryptUpdate(context, nullptr, &written, header.data(), kRecordHeaderSize) != 1 ||
      EVP_EncryptUpdate(context, cipher, &written, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context, cipher + written, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kRecordTagSize,
                          cipher + plaintext.size()) != 1) {
    out.resize(start);
    throw std::runtime_error("ChaCha20-Poly1305 sealing failed");
  }
  ++impl_->counter;
}

std::uint64_t Sealer::records() const { return impl_->counter; }

struct Opener::Impl {
  CipherContext context;
  std::size_t max_plaintext = 0;
  std::uint64_t counter = 0;
  ChannelFailure failure = ChannelFailure::none;
  Bytes partial;  // the record being received: its length prefix, then its body

  // Opens the whole record in `partial`; false when it does not authenticate.
  bool open(Bytes& plaintext) {
    std::size_t body = partial.size() - kRecordHeaderSize;
    std::size_t text_size = body - kRecordTagSize;
    const std::uint8_t* cipher = partial.data() + kRecordHeaderSize;
    plaintext.resize(text_size);
    EVP_CIPHER_CTX* ctx = context.get();
    Nonce nonce = nonce_of(counter);
    int written = 0;
    int final_written = 0;
    std::array<std::uint8_t, kRecordTagSize> tag;
    std::copy(cipher + text_size, cipher + body, tag.begin());
    return EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
           EVP_DecryptUpdate(ctx, nullptr, &written, partial.data(), kRecordHeaderSize) == 1 &&
           EVP_DecryptUpdate(ctx, plaintext.data(), &written, cipher,
                             static_cast<int>(text_size)) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kRecordTagSize, tag.data()) == 1 &&
           EVP_DecryptFinal_ex(ctx, plaintext.data() + written, &final_written) == 1;
  }

  // Moves up to `wanted` bytes of `bytes` (from `offset`) into `partial`; true when all arrived.
  bool fill(ByteView bytes, std::size_t& offset, std::size_t wanted) {
    if (partial.size() >= wanted) return true;
    std::size_t take = std::min(wanted - partial.size(), bytes.size() - offset);
    partial.insert(partial.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                   bytes.begin() + static_cast<std::ptrdiff_t>(offset + take));
    offset += take;
    return partial.size() == wanted;
  }
};

Opener::Opener(const SymmetricKey& key, std::size_t max_plaintext)
    : impl_(std::make_unique<Impl>()) {
  impl_->context = keyed_context(key, false);
  // The length field is 32 bits and EVP lengths are int: no cap can exceed either.
  impl_->max_plaintext = std::min<std::size_t>(
      max_plaintext, static_cast<std::size_t>(std::numeric_limits<int>::max()) - kRecordTagSize);
}
Opener::~Opener() = default;
Opener::Opener(Opener&&) noexcept = default;
Opener& Opener::operator=(Opener&&) noexcept = default;

ChannelFailure Opener::feed(ByteView bytes, std::vector<Bytes>& frames) {
  Impl& s = *impl_;
  std::size_t offset = 0;
  while (s.failure == ChannelFailure::none) {
    if (!s.fill(bytes, offset, kRecordHeaderSize)) break;
    std::uint32_t length = static_cast<std::uint32_t>(s.partial[0]) |
                           static_cast<std::uint32_t>(s.partial[1]) << 8 |
                           static_cast<std::uint32_t>(s.partial[2]) << 16 |
                           static_cast<std::uint32_t>(s.partial[3]) << 24;
    // Checked before a byte of the body is stored.
    if (length > s.max_plaintext + kRecordTagSize) {
      s.failure = ChannelFailure::oversize_record;
      break;
    }
    if (length < kRecordTagSize) {
      s.failure = ChannelFailure::authentication_failed;
      break;
    }
    if (!s.fill(bytes, offset, kRecordHeaderSize + length)) break;
    Bytes plaintext;
    if (!s.open(plaintext)) {
      s.failure = ChannelFailure::authentication_failed;
      break;
    }
    ++s.counter;
    // An idle connection should not keep the buffer of its largest record (up to 16 MiB).
    if (s.partial.capacity() > kKeptBufferCapacity)
      Bytes().swap(s.partial);
    else
      s.partial.clear();
    frames.push_back(std::move(plaintext));
  }
  if (s.failure != ChannelFailure::none) Bytes().swap(s.partial);
  return s.failure;
}

ChannelFailure Opener::failure() const { return impl_->failure; }
std::uint64_t Opener::records() const { return impl_->counter; }
std::size_t Opener::buffered() const { return impl_->partial.size(); }

}  // namespace alys::network::wire
