// Writes the seed corpora of the fuzz targets: real encodings made with the code under test and
// the fuzz chain's keys (fuzz_fixture.hpp), a few per target, into OUTDIR/<target>/.
//   alys_fuzz_seeds OUTDIR
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "alys/domain/auxpow.hpp"
#include "alys/domain/block.hpp"
#include "alys/domain/eth_transaction.hpp"
#include "alys/schemas/chain.hpp"
#include "alys/schemas/engine.hpp"
#include "fuzz_fixture.hpp"
#include "wire/messages.hpp"
#include "wire/secure_channel.hpp"

using namespace alys;
using namespace alys::network::wire;

namespace {

void write(const std::filesystem::path& dir, const std::string& name, ByteView bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

Bytes prefixed(std::uint8_t first, ByteView rest) {
  Bytes out{first};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

std::vector<Bytes> sample_transactions() {
  eth::Transaction legacy;
  legacy.chain_id = 263634;
  legacy.nonce = 1;
  legacy.gas_price = 1'000'000'000;
  legacy.gas_limit = 21000;
  legacy.to = EthAddress{0x11};
  legacy.value = 5;
  eth::Transaction dynamic = legacy;
  dynamic.type = eth::TxType::eip1559;
  dynamic.max_fee_per_gas = 2'000'000'000;
  dynamic.max_priority_fee_per_gas = 1;
  dynamic.data = Bytes{0xde, 0xad};
  dynamic.access_list.push_back(eth::AccessListEntry{EthAddress{0x22}, {Hash32{}}});
  SecretKey key = fuzz::member_key(5);
  return {eth::sign_transaction(legacy, key), eth::sign_transaction(dynamic, key)};
}

AuxPowHeader sample_auxpow(AuxPowCommitment commitment) {
  AuxPowHeader header;
  header.range_start = 1;
  header.range_end = 9;
  header.bits = 0x207fffff;
  header.chain_id = 7;
  header.height = 10;
  header.auxpow = make_auxpow(fuzz::genesis_hash(), 7, commitment).serialize();
  return header;
}

SignedBlock sample_block(bool full) {
  SignedBlock signed_block;
  Block& block = signed_block.block;
  block.height = 10;
  block.parent_hash = fuzz::genesis_hash();
  block.slot = 1234;
  block.timestamp_ms = 1'700'000'000'000;
  block.author_index = 1;
  block.payload.number = 10;
  block.payload.gas_limit = 30'000'000;
  if (full) {
    block.payload.transactions = sample_transactions();
    block.pegins.push_back(PegIn{Hash32{1}, 0, EthAddress{2}, 100'000});
    block.pegout_proposal.push_back(PegOutRequest{Hash32{3}, "0014" + std::string(40, 'a'), 5000});
    block.finalized_pegouts.push_back(Hash32{4});
    block.auxpow.push_back(sample_auxpow(AuxPowCommitment::coinbase_script));
  }
  Hash32 hash = block_hash(block);
  for (std::uint32_t member = 0; member < 2; ++member) {
    signed_block.approvals.push_back(
        Approval{member, fuzz::member_key(static_cast<std::uint8_t>(member + 1))
                             .schnorr_sign(approval_message(fuzz::kChainId, hash, 0))});
  }
  return signed_block;
}

chain::ApproveBlock sample_approval(std::uint32_t round) {
  chain::ApproveBlock approval;
  approval.block_hash = block_hash(sample_block(false).block);
  approval.round = round;
  approval.height = 10;
  approval.approval.member_index = 0;
  approval.approval.signature = fuzz::member_key(1).schnorr_sign(
      approval_message(fuzz::kChainId, approval.block_hash, round));
  return approval;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: alys_fuzz_seeds OUTDIR\n";
    return 2;
  }
  std::filesystem::path out = argv[1];

  for (bool full : {false, true})
    write(out / "block", full ? "full" : "empty", encode(sample_block(full)));

  for (std::uint32_t round : {0u, 2u})
    write(out / "approval", "round" + std::to_string(round), encode(sample_approval(round)));

  for (auto commitment : {AuxPowCommitment::coinbase_script, AuxPowCommitment::coinbase_output}) {
    std::string name = commitment == AuxPowCommitment::coinbase_script ? "script" : "output";
    AuxPowHeader header = sample_auxpow(commitment);
    write(out / "auxpow", "offer_" + name, prefixed(0, encode(chain::OfferAuxPow{header})));
    write(out / "auxpow", "raw_" + name, prefixed(1, header.auxpow));
  }

  std::vector<Bytes> transactions = sample_transactions();
  for (std::size_t i = 0; i < transactions.size(); ++i)
    write(out / "transaction", "tx" + std::to_string(i), transactions[i]);

  // A stranger's Hello (and its Auth for another session) with the chain id and genesis right.
  Handshake initiator(fuzz::handshake_config(1), HandshakeRole::initiator);
  Bytes hello = initiator.take_output();
  write(out / "handshake", "hello", prefixed(0xff, hello));
  Handshake other_responder(fuzz::handshake_config(3), HandshakeRole::responder);
  initiator.receive(other_responder.take_output());
  Bytes hello_auth = hello;
  Bytes auth = initiator.take_output();
  hello_auth.insert(hello_auth.end(), auth.begin(), auth.end());
  write(out / "handshake", "hello_auth", prefixed(0x10, hello_auth));

  // Frames of every type: sealed by the target (odd mode) and as a ready record stream (even).
  std::vector<Message> messages = {
      PeerStatus{10, Hash32{1}, true, 9, Hash32{2}},
      chain::ImportBlock{sample_block(true)},
      sample_approval(1),
      chain::OfferAuxPow{sample_auxpow(AuxPowCommitment::coinbase_output)},
      engine::SubmitTransaction{transactions[1]},
      GetBlocks{1, 256},
      Blocks{1, {encode(sample_block(false)), encode(sample_block(true))}},
      Ping{7},
      Pong{7},
  };
  Sealer sealer(fuzz::record_key());
  Bytes stream;
  for (const Message& message : messages) {
    Bytes frame = *encode_frame(message);
    std::string name(to_string(type_of(message)));
    write(out / "frame", "sealed_" + name, prefixed(0x01, frame));
    Bytes record = Sealer(fuzz::record_key()).seal(frame);
    write(out / "frame", "record_" + name, prefixed(0x10, record));
    sealer.seal_into(frame, stream);
  }
  write(out / "frame", "stream", prefixed(0x40, stream));
  return 0;
}
