// A responder fed whatever a connecting stranger sends, split as byte 0 says.
#include "wire/handshake.hpp"
#include "fuzz_fixture.hpp"

using namespace alys;
using namespace alys::network::wire;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = data[0] + 1u;
  ByteView rest(data + 1, size - 1);
  Handshake responder(fuzz::handshake_config(2), HandshakeRole::responder);
  Bytes hello = responder.take_output();
  ALYS_FUZZ_REQUIRE(hello.size() == kHelloSize);
  Handshake::State state = Handshake::State::in_progress;
  for (std::size_t i = 0; i < rest.size(); i += chunk) {
    state = responder.receive(rest.subspan(i, std::min(chunk, rest.size() - i)));
    (void)responder.take_output();
  }
  switch (state) {
    case Handshake::State::failed:
      ALYS_FUZZ_REQUIRE(responder.failure() != HandshakeFailure::none);
      ALYS_FUZZ_REQUIRE(!responder.failure_message().empty());
      ALYS_FUZZ_REQUIRE(responder.take_output().empty());
      break;
    case Handshake::State::done:
      // Only a holder of the peer key could sign this session's fresh transcript; the fuzzer holds
      // no key, so reaching here is a forgery.
      std::abort();
    case Handshake::State::in_progress:
      ALYS_FUZZ_REQUIRE(rest.size() < kHelloSize + kAuthSize);
      break;
  }
  return 0;
}
