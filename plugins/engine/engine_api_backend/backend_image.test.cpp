#include "engine/engine_api_backend/backend_image.hpp"

#include <catch2/catch.hpp>

#include "alys/context.hpp"
#include "alys/schemas/engine.hpp"
#include "alys/status.hpp"
#include "engine/engine_state.hpp"

using namespace alys;
using namespace alys::engine;
using namespace alys::engine::engine_api_backend;
using Catch::Matchers::Contains;

namespace {

EngineApiImage sample() {
  EngineApiImage image;
  image.chain_id = 263634;
  image.synced = true;
  image.has_head = true;
  image.head.number = 7;
  image.head.block_hash[0] = 0xaa;
  image.head.withdrawals = {Withdrawal{0, 0, EthAddress{1}, 5}};
  image.has_genesis = true;
  image.genesis_hash[1] = 0x0b;
  image.has_finalized = true;
  image.finalized_number = 5;
  image.finalized_hash[2] = 0x0c;
  ExecutedEntry entry;
  entry.payload.number = 8;
  entry.payload.parent_hash = image.head.block_hash;
  entry.mints = {Mint{EthAddress{2}, wei_to_be32(5'000'000'000)}};
  entry.fees_wei[31] = 42;
  image.executed.push_back(entry);
  image.held.push_back(HeldRequest{type_id_of<GetInfo>(), 99, encode(GetInfo{})});
  return image;
}

}  // namespace

TEST_CASE("the engine-api image round-trips") {
  const EngineApiImage image = sample();
  const Bytes bytes = write_image(image);
  CHECK(is_engine_api_image(bytes));
  const EngineApiImage back = read_image(bytes);
  CHECK(encode(back) == encode(image));
  CHECK(back.executed.at(0).fees_wei[31] == 42);
  CHECK(back.held.at(0).correlation_id == 99);
  // Empty too: a state handed over before the first sync.
  CHECK(encode(read_image(write_image(EngineApiImage{}))) == encode(EngineApiImage{}));
}

TEST_CASE("the engine-api image refuses the embedded image, corruption and unknown requests") {
  Bytes bytes = write_image(sample());
  Bytes cut(bytes.begin(), bytes.end() - 1);
  CHECK_THROWS_WITH(read_image(cut), Contains("checksum mismatch"));
  Bytes flipped = bytes;
  flipped[20] ^= 1;
  CHECK_THROWS_WITH(read_image(flipped), Contains("checksum mismatch"));

  EngineState embedded(16);
  embedded.chain_id = 263634;
  embedded.loaded = true;
  const Bytes embedded_image = write_engine_state(embedded, 1);
  CHECK_THROWS_WITH(read_image(embedded_image), Contains("embedded backend's"));
  // ... and the embedded reader refuses this one by name.
  EngineState into(16);
  CHECK_THROWS_WITH(read_engine_state(bytes, 1, 2, into), Contains("engine-api backend's"));

  EngineApiImage odd = sample();
  odd.held[0].type_id = 12345;
  CHECK_THROWS_WITH(read_image(write_image(odd)), Contains("unknown type 12345"));
}
