// Peg-ins in real processes: three alysd members on loopback (threshold 2). A peg-in queued on one
// member (with the admin token; refused without it) is minted once, and every member holds the
// same balance for it; a re-queue is refused on every member, also after the queuing member
// restarts.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "alys/domain/wei.hpp"
#include "federation.hpp"

using alys::testing::Federation;
using alys::testing::federation_of;
using alys::testing::http_request;
using namespace std::chrono_literals;

namespace {

const std::string kTxid = "7e57000000000000000000000000000000000000000000000000000000000a11";
const std::string kAddress = "0x00000000000000000000000000000000000beef1";
constexpr std::uint64_t kSats = 250'000;  // 0.0025 BTC

std::string params() {
  return "[\"" + kTxid + "\", 1, \"" + kAddress + "\", " + std::to_string(kSats) + "]";
}

alys::Wei balance(Federation& federation, std::size_t i) {
  auto answer = federation.rpc(i, "eth_getBalance", "[\"" + kAddress + "\", \"latest\"]");
  if (!answer || !answer->is_string()) return 0;
  return alys::wei_parse(std::string_view(answer->as_string())).value_or(0);
}

std::string queue_error(Federation& federation, std::size_t i) {
  std::string error;
  auto result = federation.rpc(i, "chain_queuePegIn", params(), &error);
  return result ? "queued" : error;
}

// The heights of `i`'s blocks 1..top that carry a peg-in.
std::vector<std::uint64_t> minting_heights(Federation& federation, std::size_t i,
                                           std::uint64_t top) {
  std::vector<std::uint64_t> heights;
  for (std::uint64_t height = 1; height <= top; ++height) {
    auto block = federation.rpc(i, "chain_getBlockByHeight", "[" + std::to_string(height) + "]");
    REQUIRE(block);
    if (!block->as_object().at("pegins").as_array().empty()) heights.push_back(height);
  }
  return heights;
}

}  // namespace

TEST_CASE("a peg-in queued on one member is minted once on all three",
          "[integration][federation][pegin]") {
  Federation federation(federation_of(3, 300));
  federation.start_all();
  REQUIRE(federation.wait_heights({0, 1, 2}, 2, 30s));

  // Without the token the call changes nothing.
  const std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"chain_queuePegIn","params":)" + params() + "}";
  auto unauthorized = http_request("127.0.0.1", federation.node(0).admin_port, "POST", "/", body);
  REQUIRE(unauthorized);
  CHECK(unauthorized->status == 401);
  CHECK(unauthorized->body.find("-32001") != std::string::npos);

  auto queued = federation.must(0, "chain_queuePegIn", params());
  CHECK(queued.as_object().at("amountWei").as_string() == "2500000000000000");
  const alys::Wei expected = alys::Wei{kSats} * alys::kWeiPerSatoshi;
  // Member 0 authors one slot in three: the peg-in is minted within a few slots, on every member.
  const bool minted = Federation::wait_until(
      [&] {
        return balance(federation, 0) == expected && balance(federation, 1) == expected &&
               balance(federation, 2) == expected;
      },
      20s);
  REQUIRE(minted);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(queue_error(federation, i).find("already minted") != std::string::npos);

  federation.restart(0);
  CHECK(queue_error(federation, 0).find("already minted") != std::string::npos);
  const std::uint64_t later = federation.height(1) + 6;
  REQUIRE(federation.wait_heights({0, 1, 2}, later, 30s));
  std::uint64_t top = later;
  for (std::size_t i = 0; i < 3; ++i) top = std::min(top, federation.height(i));
  // One block minted it, the same on every member, and the balance did not grow again.
  const auto heights = minting_heights(federation, 0, top);
  CHECK(heights.size() == 1);
  for (std::size_t i = 1; i < 3; ++i) CHECK(minting_heights(federation, i, top) == heights);
  for (std::size_t i = 0; i < 3; ++i) CHECK(balance(federation, i) == expected);
}
