#include "wire/secure_channel.hpp"

#include <catch2/catch.hpp>

#include <numeric>
#include <random>

using namespace alys;
using namespace alys::network::wire;

namespace {

SymmetricKey test_key(std::uint8_t first = 0) {
  SymmetricKey key{};
  std::iota(key.begin(), key.end(), first);
  return key;
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::vector<Bytes> open_all(Opener& opener, ByteView bytes, ChannelFailure expected) {
  std::vector<Bytes> frames;
  CHECK(opener.feed(bytes, frames) == expected);
  return frames;
}

}  // namespace

TEST_CASE("secure channel: records match an independent ChaCha20-Poly1305", "[channel]") {
  // From Python's `cryptography` (OpenSSL-independent wrapper): key 00..1f, nonce = counter LE64 ||
  // 4 zero bytes, AAD = the length prefix.
  Sealer sealer(test_key());
  CHECK(to_hex(sealer.seal(text("alys"))) == "1400000079d43b429a54d686ed6f0be10b5a31a2f17984b9");
  CHECK(to_hex(sealer.seal(Bytes{})) == "100000003785b01812f21067afb7b7a92f661489");
  CHECK(sealer.records() == 2);
}

TEST_CASE("secure channel: frames round trip in order", "[channel]") {
  Sealer sealer(test_key());
  Opener opener(test_key());
  Bytes stream;
  std::vector<Bytes> sent = {text("status"), Bytes{}, Bytes(70000, 0xab), text("ping")};
  for (const Bytes& frame : sent) sealer.seal_into(frame, stream);
  CHECK(open_all(opener, stream, ChannelFailure::none) == sent);
  CHECK(opener.records() == 4);
  CHECK(opener.buffered() == 0);
}

TEST_CASE("secure channel: any split of the stream opens the same frames", "[channel]") {
  Sealer sealer(test_key());
  Bytes stream;
  std::vector<Bytes> sent;
  for (std::size_t size : {0u, 1u, 15u, 16u, 17u, 1000u, 5000u}) {
    sent.push_back(Bytes(size, static_cast<std::uint8_t>(size)));
    sealer.seal_into(sent.back(), stream);
  }
  std::mt19937 random(7);
  for (int trial = 0; trial < 20; ++trial) {
    Opener opener(test_key());
    std::vector<Bytes> frames;
    std::size_t offset = 0;
    while (offset < stream.size()) {
      std::size_t chunk =
          trial == 0 ? 1 : std::uniform_int_distribution<std::size_t>(1, 700)(random);
      chunk = std::min(chunk, stream.size() - offset);
      REQUIRE(opener.feed(ByteView(stream).subspan(offset, chunk), frames) == ChannelFailure::none);
      offset += chunk;
    }
    CHECK(frames == sent);
  }
}

TEST_CASE("secure channel: a tampered byte anywhere fails authentication", "[channel]") {
  Sealer sealer(test_key());
  Bytes record = sealer.seal(text("an approval"));
  for (std::size_t i = 0; i < record.size(); ++i) {
    Bytes tampered = record;
    tampered[i] ^= 0x40;
    Opener opener(test_key());
    std::vector<Bytes> frames;
    ChannelFailure failure = opener.feed(tampered, frames);
    if (i < kRecordHeaderSize && failure == ChannelFailure::none) {
      // A length made larger waits for bytes that never come; it cannot yield a frame.
      CHECK(frames.empty());
      continue;
    }
    CHECK(failure != ChannelFailure::none);
    CHECK(frames.empty());
  }
}

TEST_CASE("secure channel: a replayed record fails authentication", "[channel]") {
  Sealer sealer(test_key());
  Opener opener(test_key());
  Bytes first = sealer.seal(text("one"));
  open_all(opener, first, ChannelFailure::none);
  CHECK(open_all(opener, first, ChannelFailure::authentication_failed).empty());
}

TEST_CASE("secure channel: reordered or dropped records fail authentication", "[channel]") {
  Sealer sealer(test_key());
  Bytes first = sealer.seal(text("one"));
  Bytes second = sealer.seal(text("two"));
  Bytes third = sealer.seal(text("three"));
  SECTION("reordered") {
    Opener opener(test_key());
    CHECK(open_all(opener, second, ChannelFailure::authentication_failed).empty());
  }
  SECTION("dropped") {
    Opener opener(test_key());
    open_all(opener, first, ChannelFailure::none);
    CHECK(open_all(opener, third, ChannelFailure::authentication_failed).empty());
  }
}

TEST_CASE("secure channel: a failure is final", "[channel]") {
  Sealer sealer(test_key());
  Opener opener(test_key());
  Bytes first = sealer.seal(text("one"));
  Bytes second = sealer.seal(text("two"));
  open_all(opener, second, ChannelFailure::authentication_failed);
  CHECK(open_all(opener, first, ChannelFailure::authentication_failed).empty());
  CHECK(opener.failure() == ChannelFailure::authentication_failed);
  CHECK(opener.buffered() == 0);
}

TEST_CASE("secure channel: the other direction's key does not open", "[channel]") {
  Sealer sealer(test_key(0));
  Opener opener(test_key(1));
  CHECK(open_all(opener, sealer.seal(text("x")), ChannelFailure::authentication_failed).empty());
}

TEST_CASE("secure channel: an oversize length fails before the body", "[channel]") {
  Opener opener(test_key(), 1000);
  // 1000 + 16 is the largest record; one more is refused from the 4 length bytes alone.
  Bytes header = {0xf9, 0x03, 0x00, 0x00};  // 1017
  CHECK(open_all(opener, header, ChannelFailure::oversize_record).empty());
  CHECK(opener.buffered() == 0);
  CHECK(to_string(ChannelFailure::oversize_record) == "oversize_record");

  Opener default_cap(test_key());
  CHECK(open_all(default_cap, Bytes{0xff, 0xff, 0xff, 0xff}, ChannelFailure::oversize_record)
            .empty());
  Sealer sealer(test_key());
  Opener at_cap(test_key(), 1000);
  CHECK(open_all(at_cap, sealer.seal(Bytes(1000, 1)), ChannelFailure::none).size() == 1);
}

TEST_CASE("secure channel: a record too short for its tag is refused", "[channel]") {
  Opener opener(test_key());
  Bytes record = {15, 0, 0, 0};
  record.resize(4 + 15);
  CHECK(open_all(opener, record, ChannelFailure::authentication_failed).empty());
}

TEST_CASE("secure channel: a partial record is held, not opened", "[channel]") {
  Sealer sealer(test_key());
  Opener opener(test_key());
  Bytes record = sealer.seal(text("slow"));
  open_all(opener, ByteView(record).first(10), ChannelFailure::none);
  CHECK(opener.buffered() == 10);
  CHECK(open_all(opener, ByteView(record).subspan(10), ChannelFailure::none) ==
        std::vector<Bytes>{text("slow")});
}

TEST_CASE("secure channel: keys from a real handshake carry frames both ways", "[channel]") {
  std::array<std::uint8_t, 32> a_bytes{};
  a_bytes.fill(1);
  std::array<std::uint8_t, 32> b_bytes{};
  b_bytes.fill(2);
  auto allow_all = [](const XOnlyPublicKey&) { return true; };
  Handshake a(HandshakeConfig{*SecretKey::from_bytes(a_bytes), 1, Hash32{}, allow_all},
              HandshakeRole::initiator);
  Handshake b(HandshakeConfig{*SecretKey::from_bytes(b_bytes), 1, Hash32{}, allow_all},
              HandshakeRole::responder);
  for (int i = 0; i < 3; ++i) {
    Bytes from_a = a.take_output();
    Bytes from_b = b.take_output();
    b.receive(from_a);
    a.receive(from_b);
  }
  REQUIRE(a.state() == Handshake::State::done);
  REQUIRE(b.state() == Handshake::State::done);
  Sealer a_sealer(a.keys().send_key);
  Opener b_opener(b.keys().receive_key);
  Sealer b_sealer(b.keys().send_key);
  Opener a_opener(a.keys().receive_key);
  CHECK(open_all(b_opener, a_sealer.seal(text("to b")), ChannelFailure::none) ==
        std::vector<Bytes>{text("to b")});
  CHECK(open_all(a_opener, b_sealer.seal(text("to a")), ChannelFailure::none) ==
        std::vector<Bytes>{text("to a")});
  // A record sealed for one direction does not open in the other (a reflected record).
  Opener a_reflected(a.keys().receive_key);
  CHECK(open_all(a_reflected, Sealer(a.keys().send_key).seal(text("x")),
                 ChannelFailure::authentication_failed)
            .empty());
}
