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

TEST_CASE("scores recover a point a second, so rare light offences never ban", "[network]") {
  PeerBook book(60'000);
  book.recover(0);
  std::uint64_t now = 0;
  // A rate_limit (-40) every 45 s for an hour: without recovery the third would ban.
  for (int i = 0; i < 80; ++i) {
    CHECK_FALSE(book.record(kPeer, "", Offence::rate_limit, now).ban_key);
    now += 45'000;
    book.recover(now);
  }
  CHECK(book.find(kPeer)->score == 0);
  book.record(kPeer, "", Offence::bad_range, now);  // -20
  book.recover(now + 1'500);
  CHECK(book.find(kPeer)->score == -19);
  book.recover(now + 2'000);  // the half second left over counts
  CHECK(book.find(kPeer)->score == -18);
  // Bursts still ban, and a banned key does not recover during its ban.
  for (int i = 0; i < 3; ++i) book.record(kPeer, "", Offence::rate_limit, now + 2'000);
  CHECK(book.banned(kPeer, now + 2'000));
  const std::int32_t banned_score = book.find(kPeer)->score;
  book.recover(now + 30'000);
  CHECK(book.find(kPeer)->score == banned_score);
}
