#include "wire/messages.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <new>

#include "alys/domain/sha256.hpp"

using namespace alys;
using namespace alys::network::wire;

// The largest single allocation since the last reset: how the count-bomb tests see that the
// decoder allocated nothing near what a frame claims. Replaces the global allocator of this test
// executable only — except under AddressSanitizer, whose own operator new cannot be replaced
// piecemeal (memory from its variants would reach our free: alloc-dealloc-mismatch). There the
// allocation bounds are not measured; the dev build measures them.
#if defined(__SANITIZE_ADDRESS__)
#define ALYS_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ALYS_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef ALYS_COUNT_ALLOCATIONS
#define ALYS_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<std::size_t> largest_allocation{0};
// The bound holds, or this build cannot measure it.
bool allocated_at_most(std::size_t bound) {
  return !ALYS_COUNT_ALLOCATIONS || largest_allocation.load() <= bound;
}
}  // namespace

#if ALYS_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
  std::size_t seen = largest_allocation.load(std::memory_order_relaxed);
  while (size > seen && !largest_allocation.compare_exchange_weak(seen, size)) {
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

SignedBlock sample_block() {
  SignedBlock signed_block;
  Block& block = signed_block.block;
  block.height = 42;
  block.parent_hash = sha256(Bytes{1});
  block.slot = 1000;
  block.timestamp_ms = 1'700'000'000'000;
  block.author_index = 2;
  block.payload.number = 42;
  block.payload.transactions = {Bytes{0x02, 0xf8, 0x70}, Bytes(100, 0x11)};
  block.pegins.push_back(PegIn{sha256(Bytes{2}), 1, EthAddress{}, 50'000});
  block.pegout_proposal.push_back(PegOutRequest{sha256(Bytes{3}), "0014ab", 1000});
  block.finalized_pegouts.push_back(sha256(Bytes{4}));
  block.auxpow.push_back(AuxPowHeader{1, 41, 0x1d00ffff, 7, 42, Bytes(80, 0x22), EthAddress{}});
  signed_block.approvals.push_back(Approval{0, SchnorrSignature{}});
  signed_block.approvals.push_back(Approval{1, SchnorrSignature{}});
  return signed_block;
}

std::vector<Message> one_of_each() {
  chain::ApproveBlock approval;
  approval.block_hash = sha256(Bytes{5});
  approval.approval = Approval{2, SchnorrSignature{}};
  approval.approval.signature.fill(0x5a);
  approval.round = 3;
  approval.height = 42;
  chain::OfferAuxPow auxpow;
  auxpow.header = sample_block().block.auxpow[0];
  return {
      PeerStatus{42, sha256(Bytes{6}), true, 40, sha256(Bytes{7})},
      chain::ImportBlock{sample_block()},
      approval,
      auxpow,
      engine::SubmitTransaction{Bytes(120, 0x33)},
      GetBlocks{100, 512},
      Blocks{100, {encode(sample_block()), encode(sample_block())}},
      Ping{0x0102030405060708},
      Pong{0x0102030405060708},
  };
}

Bytes frame_of(MessageType type, ByteView payload) {
  Bytes frame{kWireVersion, static_cast<std::uint8_t>(type)};
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

}  // namespace

TEST_CASE("frames: every message type round trips", "[frames]") {
  for (const Message& message : one_of_each()) {
    INFO(to_string(type_of(message)));
    auto frame = encode_frame(message);
    REQUIRE(frame);
    CHECK((*frame)[0] == kWireVersion);
    CHECK((*frame)[1] == static_cast<std::uint8_t>(type_of(message)));
    DecodedFrame decoded = decode_frame(*frame);
    REQUIRE(decoded.ok());
    CHECK(decoded.message->index() == message.index());
    CHECK(encode_frame(*decoded.message) == frame);
  }
}

TEST_CASE("frames: a payload above its type's cap is refused", "[frames]") {
  for (const Message& message : one_of_each()) {
    MessageType type = type_of(message);
    INFO(to_string(type));
    Bytes frame = frame_of(type, Bytes(payload_cap(type) + 1, 0));
    DecodedFrame decoded = decode_frame(frame);
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == FrameError::oversize);
  }
  CHECK(payload_cap(MessageType::status) == 256);
  CHECK(payload_cap(MessageType::proposal) == 4u << 20);
  CHECK(payload_cap(MessageType::approval) == 256);
  CHECK(payload_cap(MessageType::auxpow) == 128u << 10);
  CHECK(payload_cap(MessageType::transaction) == 128u << 10);
  CHECK(payload_cap(MessageType::get_blocks) == 64);
  CHECK(payload_cap(MessageType::blocks) == 16u << 20);
  CHECK(payload_cap(MessageType::ping) == 16);
  CHECK(payload_cap(MessageType::pong) == 16);
}

TEST_CASE("frames: a message too large for its cap is not encoded", "[frames]") {
  CHECK_FALSE(encode_frame(engine::SubmitTransaction{Bytes(128 * 1024, 1)}));
  CHECK(encode_frame(engine::SubmitTransaction{Bytes(128 * 1024 - 4, 1)}));
}

TEST_CASE("frames: unknown types and versions are refused", "[frames]") {
  Bytes ping = *encode_frame(Ping{1});
  for (std::uint8_t type : {0, 10, 0x7f, 0xff}) {
    Bytes frame = ping;
    frame[1] = type;
    DecodedFrame decoded = decode_frame(frame);
    CHECK(decoded.error == FrameError::unknown_type);
    CHECK_FALSE(decoded.ok());
  }
  for (std::uint8_t version : {0, 2, 0xff}) {
    Bytes frame = ping;
    frame[0] = version;
    CHECK(decode_frame(frame).error == FrameError::unknown_version);
  }
  CHECK(to_string(FrameError::unknown_type) == "unknown_type");
  CHECK(to_string(FrameError::unknown_version) == "unknown_version");
  CHECK(to_string(static_cast<MessageType>(77)) == "unknown");
}

TEST_CASE("frames: every truncation and any trailing byte is malformed", "[frames]") {
  for (const Message& message : one_of_each()) {
    INFO(to_string(type_of(message)));
    Bytes frame = *encode_frame(message);
    for (std::size_t size = 0; size < frame.size(); ++size) {
      DecodedFrame decoded = decode_frame(ByteView(frame).first(size));
      CHECK_FALSE(decoded.ok());
      CHECK(decoded.error == FrameError::malformed);
      CHECK_FALSE(decoded.detail.empty());
    }
    frame.push_back(0);
    DecodedFrame decoded = decode_frame(frame);
    CHECK(decoded.error == FrameError::malformed);
    CHECK(to_string(decoded.error) == "malformed");
  }
}

TEST_CASE("frames: a Blocks frame claiming 2^32 blocks allocates nothing for them", "[frames]") {
  Bytes payload(8, 0);                                            // from_height
  payload.insert(payload.end(), {0x80, 0x80, 0x80, 0x80, 0x10});  // varint 2^32
  payload.resize(payload.size() + 1000, 0);                       // some bytes, far fewer than 2^32
  Bytes frame = frame_of(MessageType::blocks, payload);
  largest_allocation = 0;
  DecodedFrame decoded = decode_frame(frame);
  CHECK(decoded.error == FrameError::malformed);
  CHECK(allocated_at_most(4095));
}

TEST_CASE("frames: a nested count bomb inside a proposal is refused", "[frames]") {
  // A proposal whose approvals claim 100,000 entries (69 bytes each at least) in a small frame.
  // The SignedBlock's bytes with the bogus count: Block (length-prefixed) | count | filler.
  Writer signed_writer;
  signed_writer.write(sample_block().block);
  signed_writer.varint(100'000);
  Bytes signed_body = signed_writer.take();
  signed_body.resize(signed_body.size() + 2000, 0);
  Writer outer;
  outer.varint(signed_body.size());
  outer.raw(signed_body.data(), signed_body.size());
  Bytes frame = frame_of(MessageType::proposal, outer.take());
  largest_allocation = 0;
  DecodedFrame decoded = decode_frame(frame);
  CHECK(decoded.error == FrameError::malformed);
  CHECK(allocated_at_most(64 * frame.size() - 1));
}

TEST_CASE("frames: a frame decodes within a small multiple of its size", "[frames]") {
  for (const Message& message : one_of_each()) {
    Bytes frame = *encode_frame(message);
    largest_allocation = 0;
    REQUIRE(decode_frame(frame).ok());
    CHECK(allocated_at_most(4 * frame.size() + 1024));
  }
}

TEST_CASE("frames: a missing trailing field is malformed, not defaulted", "[frames]") {
  // An approval without its height: decode() would default it, decode_strict refuses.
  chain::ApproveBlock approval;
  Bytes payload = encode(approval);
  payload.resize(payload.size() - 8);
  CHECK(decode_frame(frame_of(MessageType::approval, payload)).error == FrameError::malformed);
}
