#include "peer_book.hpp"

#include <catch2/catch.hpp>

using namespace alys::network;

namespace {
const alys::XOnlyPublicKey kPeer = [] {
  alys::XOnlyPublicKey key{};
  key[0] = 7;
  return key;
}();
}  // namespace

TEST_CASE("a severe offence bans the key at once, until ban time passes", "[network]") {
  PeerBook book(60'000);
  Verdict verdict = book.record(kPeer, "10.0.0.1", Offence::invalid_signature, 1000);
  CHECK(verdict.disconnect);
  CHECK(verdict.ban_key);
  CHECK_FALSE(verdict.ban_ip);
  CHECK(book.banned(kPeer, 60'999));
  CHECK(book.find(kPeer)->score == -100);
  CHECK(book.banned_count(2000) == 1);
  CHECK(book.expire_keys(60'999).empty());
  CHECK(book.expire_keys(61'000) == std::vector{kPeer});
  CHECK_FALSE(book.banned(kPeer, 61'000));
  CHECK(book.find(kPeer)->score == 0);
  CHECK(book.count(Offence::invalid_signature) == 1);
}

TEST_CASE("light offences add up to a ban; unknown keys are never banned", "[network]") {
  PeerBook book(1000);
  CHECK_FALSE(book.record(kPeer, "", Offence::rate_limit, 0).ban_key);
  CHECK_FALSE(book.record(kPeer, "", Offence::rate_limit, 0).ban_key);
  CHECK(book.record(kPeer, "", Offence::rate_limit, 0).ban_key);  // -120
  CHECK(book.count(Offence::rate_limit) == 3);
  Verdict unknown = book.record(std::nullopt, "10.0.0.2", Offence::unknown_key, 0);
  CHECK(unknown.disconnect);
  CHECK_FALSE(unknown.ban_ip);
}

TEST_CASE("garbage before a handshake bans the address", "[network]") {
  PeerBook book(1000);
  Verdict verdict = book.record(std::nullopt, "10.0.0.3", Offence::garbage, 5);
  CHECK(verdict.ban_ip);
  CHECK(book.banned_ips().at("10.0.0.3") == 1005);
  CHECK(book.expire_ips(1004).empty());
  CHECK(book.expire_ips(1005) == std::vector<std::string>{"10.0.0.3"});
  CHECK(kOffencePolicies[static_cast<std::size_t>(Offence::malformed_payload)].name ==
        "malformed_payload");
}
