#include "host/tools/alys-miner/dev_miner.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <deque>
#include <sstream>
#include <stop_token>
#include <variant>

#include "alys/admin_rpc.hpp"
#include "alys/domain/compact.hpp"
#include "alys/json_rpc.hpp"
#include "loopback_http.hpp"
#include "one_shot_http_server.hpp"
#include "plugins/chain/chain_rpc.hpp"
#include "plugins/chain/merged_mining.hpp"

using namespace alys;
using namespace alys::miner;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

using Reply = Result<tools::RpcReply>;

Reply result(json::value value) {
  tools::RpcReply reply;
  reply.http_status = 200;
  reply.result = std::move(value);
  return reply;
}

Reply rpc_error(std::int64_t code, const std::string& message) {
  tools::RpcReply reply;
  reply.http_status = 200;
  reply.error = tools::RpcError{code, message, json::object{{"code", code}, {"message", message}}};
  return reply;
}

Reply failed(std::int32_t code, const std::string& message) { return Status(code, message); }

constexpr std::uint32_t kChainId = 0x7a1;
constexpr std::uint32_t kEasyBits = 0x207fffff;     // about every other hash meets it
constexpr std::uint32_t kBitcoinBits = 0x1d00ffff;  // difficulty 1: ~4 billion hashes
const std::string kAddress = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

Hash32 block_hash(std::uint64_t height) {
  Hash32 hash{};
  for (std::size_t i = 0; i < hash.size(); ++i)
    hash[i] = static_cast<std::uint8_t>(height * 31 + i);
  return hash;
}

chain::PowSpec pow_spec(AuxPowCommitment commitment, std::uint32_t bits) {
  chain::PowSpec spec;
  spec.chain_id = kChainId;
  spec.commitment = commitment;
  spec.max_blocks_without_pow = 8;
  spec.retarget.interval_blocks = 10;
  spec.retarget.target_spacing_s = 1;
  spec.retarget.max_adjustment = 4;
  spec.retarget.pow_limit = decode_compact(kEasyBits).target;
  spec.initial_bits = bits;
  return spec;
}

// A node without a network: createauxblock and submitauxblock answered by the chain plugin's own
// MergedMining and render_aux_block, the way chain_actor.cpp answers them. Each createauxblock
// first "produces" a block, which carries the queued AuxPoW if there is one (and so finalizes its
// range). Answers in `scripted` are given first, whatever the call.
class ScriptedNode : public NodeRpc {
 public:
  ScriptedNode(AuxPowCommitment commitment, std::uint64_t blocks, std::uint32_t bits = kEasyBits)
      : mining(pow_spec(commitment, bits)) {
    mining.set_state(chain::PowState{bits, 0, 0});
    while (head < blocks) add_block();
  }

  Reply call(std::string_view method, const json::array& params) override {
    calls.emplace_back(method);
    if (stop_after_calls && calls.size() >= *stop_after_calls && stop) stop->request_stop();
    if (!scripted.empty()) {
      Reply answer = scripted.front();
      scripted.pop_front();
      return answer;
    }
    const std::string params_json = json::serialize(params);
    try {
      if (method == "createauxblock") return create(params_json);
      if (method == "submitauxblock") return submit(params_json);
    } catch (const RpcError& error) {
      return rpc_error(error.code(), error.what());
    }
    return rpc_error(json_rpc::kMethodNotFound, "method not found");
  }

  void add_block() {
    ++head;
    if (auto header = mining.queued_header(head)) {
      mining.finalized(*header, head * 1000);
      finalized.push_back({header->range_start, header->range_end});
    }
    mining.block_added(head, block_hash(head));
  }

  chain::MergedMining mining;
  std::uint64_t head = 0;
  bool produce_on_create = false;
  std::deque<Reply> scripted;
  std::vector<std::string> calls;
  std::vector<std::string> addresses;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> finalized;
  std::uint64_t accepted = 0;
  std::vector<std::string> submissions;  // the params of every accepted one
  std::stop_source* stop = nullptr;
  std::optional<std::size_t> stop_after_calls;

 private:
  Reply create(std::string_view params_json) {
    if (produce_on_create) add_block();
    auto address = chain::string_param(params_json, 0);
    REQUIRE(address);
    addresses.push_back(*address);
    auto created = mining.create_work(*fixed_from_hex<20>(*address));
    if (auto* error = std::get_if<chain::MiningError>(&created))
      return rpc_error(error->code, error->message);
    const chain::Work& work = std::get<chain::Work>(created);
    return result(json::parse(chain::render_aux_block(
        chain::AuxBlockView{work.aux_hash, kChainId, block_hash(0), work.bits, head + 1, 0})));
  }

  Reply submit(std::string_view params_json) {
    auto hash = chain::string_param(params_json, 0);
    auto hex = chain::string_param(params_json, 1);
    REQUIRE(hash);
    REQUIRE(hex);
    if (auto error = mining.submit(*hash, *hex)) return rpc_error(error->code, error->message);
    ++accepted;
    submissions.push_back(std::string(params_json));
    return result(true);
  }
};

// The scripted node, except that its first submitauxblock gets `answer`.
class FirstSubmitAnswered : public NodeRpc {
 public:
  FirstSubmitAnswered(ScriptedNode& node, Reply answer) : node_(node), answer_(std::move(answer)) {}

  Reply call(std::string_view method, const json::array& params) override {
    if (method == "submitauxblock" && !answered_) {
      answered_ = true;
      node_.calls.emplace_back(method);
      return answer_;
    }
    return node_.call(method, params);
  }

 private:
  ScriptedNode& node_;
  Reply answer_;
  bool answered_ = false;
};

MinerOptions once(AuxPowCommitment commitment = AuxPowCommitment::coinbase_script) {
  MinerOptions options;
  options.address = kAddress;
  options.commitment = commitment;
  options.interval = 1ms;
  options.once = true;
  return options;
}

AuxBlockWork work_for(const Hash32& aux_hash, std::uint32_t bits = kEasyBits) {
  return parse_aux_block(
      chain::render_aux_block(chain::AuxBlockView{aux_hash, kChainId, block_hash(0), bits, 9, 0}));
}

std::string with_field(const std::string& field_json) {
  // createauxblock's answer for block_hash(1) with one field replaced or added.
  boost::json::object object =
      boost::json::parse(chain::render_aux_block(chain::AuxBlockView{
                             block_hash(1), kChainId, block_hash(0), kEasyBits, 9, 0}))
          .as_object();
  boost::json::object change = boost::json::parse(field_json).as_object();
  for (const auto& [key, value] : change) object[key] = value;
  return boost::json::serialize(object);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t found = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++found;
  return found;
}

}  // namespace

TEST_CASE("createauxblock's answer is read with its hash turned back to internal order",
          "[miner]") {
  const Hash32 aux_hash = block_hash(7);
  AuxBlockWork work = work_for(aux_hash);
  CHECK(work.aux_hash == aux_hash);
  CHECK(work.hash_display == to_hex(reversed(aux_hash)));
  CHECK(work.hash_display != to_hex(aux_hash));
  CHECK(work.chain_id == kChainId);
  CHECK(work.bits == kEasyBits);
  CHECK(work.height == 9);
  // Without _target the bits alone decide.
  boost::json::object object = boost::json::parse(with_field("{}")).as_object();
  object.erase("_target");
  CHECK(parse_aux_block(boost::json::serialize(object)).bits == kEasyBits);
}

TEST_CASE("an answer the miner cannot use is refused, naming the field", "[miner]") {
  auto refused = [](const std::string& json, const std::string& reason) {
    INFO(json);
    CHECK_THROWS_WITH(parse_aux_block(json), Catch::Contains(reason));
  };
  refused("not json", "not JSON");
  refused("[1]", "not an object");
  refused(R"({"chainid":1953,"bits":"207fffff","height":9})", "no 'hash'");
  refused(with_field(R"({"hash":"abc"})"), "'hash' is not 64 hex digits");
  refused(with_field(R"({"hash":5})"), "'hash' is not a string");
  refused(with_field(R"({"chainid":0})"), "'chainid' 0 is not a chain id");
  refused(with_field(R"({"chainid":65536})"), "'chainid' 65536 is not a chain id");
  refused(with_field(R"({"chainid":-3})"), "'chainid' is not a non-negative integer");
  refused(with_field(R"({"bits":"7fffff"})"), "'bits' is not 8 hex digits");
  refused(with_field(R"({"bits":"0x207fffff"})"), "'bits' is not 8 hex digits");
  refused(with_field(R"({"bits":"00000000"})"), "no usable target");
  refused(with_field(R"({"bits":"1d00ffff"})"), "'_target'");  // the target of 207fffff
  refused(with_field(R"({"height":0})"), "'height' is 0");
}

TEST_CASE("the mined proof commits to the work in both commitment modes and meets the bits",
          "[miner]") {
  const Hash32 aux_hash = block_hash(3);
  const AuxBlockWork work = work_for(aux_hash);
  std::stop_source stop;
  for (AuxPowCommitment mode :
       {AuxPowCommitment::coinbase_script, AuxPowCommitment::coinbase_output}) {
    MiningResult mined = mine_work(work, mode, 1'000'000, stop.get_token());
    REQUIRE(mined.proof);
    CHECK(mined.hashes >= 1);
    CHECK(check_auxpow(*mined.proof, aux_hash, kChainId, true, mode) == std::nullopt);
    CHECK(parent_meets_bits(*mined.proof, kEasyBits));
    // The display-order hash is not what the coinbase commits to.
    CHECK(check_auxpow(*mined.proof, reversed(aux_hash), kChainId, true, mode).has_value());
    // submitauxblock's params echo the hash as the node gave it, then the proof's hex.
    CHECK(json::serialize(submit_params(work, *mined.proof)) ==
          "[\"" + work.hash_display + "\",\"" + to_hex(mined.proof->serialize()) + "\"]");
  }
}

TEST_CASE("grinding stops at its budget and when asked to, counting the hashes", "[miner]") {
  const AuxBlockWork hard = work_for(block_hash(4), kBitcoinBits);
  std::stop_source stop;
  MiningResult budget =
      mine_work(hard, AuxPowCommitment::coinbase_script, 70'000, stop.get_token());
  CHECK_FALSE(budget.proof);
  CHECK(budget.hashes == 70'000);  // more than one round of kHashesPerRound

  std::uint64_t reported = 0;
  MiningResult with_progress = mine_work(
      hard, AuxPowCommitment::coinbase_script, 3 * kHashesPerRound, stop.get_token(),
      [&](std::uint64_t hashes, std::chrono::nanoseconds) { reported = hashes; }, 0ms);
  CHECK(reported == 3 * kHashesPerRound);

  stop.request_stop();
  MiningResult stopped = mine_work(hard, AuxPowCommitment::coinbase_script, 0, stop.get_token());
  CHECK_FALSE(stopped.proof);
  CHECK(stopped.hashes == 0);
  CHECK(sleep_unless_stopped(stop.get_token(), 10s));  // returns at once
}

TEST_CASE("hash rates read in the unit that fits", "[miner]") {
  CHECK(hash_rate(1500, 1s) == "1.50 kH/s");
  CHECK(hash_rate(2'000'000, 500ms) == "4.00 MH/s");
  CHECK(hash_rate(12, 1s) == "12.00 H/s");
  CHECK(hash_rate(5, 0ns) == "-");
}

TEST_CASE("node URLs", "[miner]") {
  auto plain = parse_node_url("http://127.0.0.1:8645/");
  REQUIRE(plain.ok());
  CHECK(plain->address.host == "127.0.0.1");
  CHECK(plain->address.port == 8645);
  CHECK(plain->path == "/");
  auto bare = parse_node_url("http://localhost:18645");
  REQUIRE(bare.ok());
  CHECK(bare->path == "/");
  auto v6 = parse_node_url("http://[::1]:8645/rpc");
  REQUIRE(v6.ok());
  CHECK(v6->address.host == "::1");
  CHECK(v6->path == "/rpc");

  auto message = [](std::string_view text) {
    auto url = parse_node_url(text);
    REQUIRE_FALSE(url.ok());
    CHECK(url.status().code() == ALYS_ERR_INVALID);
    return url.status().message();
  };
  CHECK(message("https://127.0.0.1:8645/").find("https is not supported") != std::string::npos);
  CHECK(message("127.0.0.1:8645").find("expected http://HOST:PORT/") != std::string::npos);
  CHECK(message("http://127.0.0.1/") ==
        "bad node URL 'http://127.0.0.1/': expected \"HOST:PORT\" (IPv6 as \"[::1]:8645\"), got "
        "\"127.0.0.1\"");
  CHECK(message("http://127.0.0.1:0/").ends_with("port must be 1..65535"));
  CHECK(message("http://127.0.0.1:8645/?x=1").find("no query") != std::string::npos);
}

TEST_CASE("over HTTP, the miner's params are escaped JSON and it announces itself", "[miner]") {
  alys::testing::OneShotServer server(
      alys::testing::http_answer(200, R"({"jsonrpc":"2.0","id":1,"result":true})"));
  auto url = parse_node_url("http://127.0.0.1:" + std::to_string(server.port()) + "/rpc");
  REQUIRE(url.ok());
  auto rpc = make_http_node_rpc(*url, 5s);
  // No address needs escaping, but nothing keeps a param from doing so.
  const std::string awkward = "0x\"quoted\" \\ and\nnewline";
  Reply answer = rpc->call("createauxblock", json::array{awkward});
  const std::string request = server.request();
  INFO(request);
  REQUIRE(answer.ok());
  CHECK(answer->result == json::value(true));
  CHECK(request.starts_with("POST /rpc HTTP/1.1\r\n"));
  CHECK(request.find("User-Agent: alys-miner/") != std::string::npos);
  const json::value sent = json::parse(request.substr(request.find("\r\n\r\n") + 4));
  CHECK(sent.at("method") == "createauxblock");
  CHECK(sent.at("params") == json::array{awkward});
}

TEST_CASE("--once: one proof over every unfinalized block, accepted by the chain's own rules",
          "[miner]") {
  for (AuxPowCommitment mode :
       {AuxPowCommitment::coinbase_script, AuxPowCommitment::coinbase_output}) {
    ScriptedNode node(mode, 5);
    std::stop_source stop;
    std::ostringstream out;
    CHECK(run_miner(node, once(mode), stop.get_token(), out) == MinerExit::stopped_or_accepted);
    INFO(out.str());
    CHECK(node.calls == std::vector<std::string>{"createauxblock", "submitauxblock"});
    CHECK(node.addresses == std::vector<std::string>{kAddress});
    CHECK(out.str().find("submitted blocks up to 5 (aux block ") != std::string::npos);
    CHECK(out.str().find("): accepted\n") != std::string::npos);
    // The node queued it: the next block carries it and finalizes 1..5.
    auto header = node.mining.queued_header(6);
    REQUIRE(header);
    CHECK(header->range_start == 1);
    CHECK(header->range_end == 5);
    CHECK(header->fee_recipient == *fixed_from_hex<20>(kAddress));
  }
}

TEST_CASE("a proof in the wrong commitment mode is refused and the miner stops", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_output, 3);
  std::stop_source stop;
  std::ostringstream out;
  MinerOptions options = once(AuxPowCommitment::coinbase_script);
  options.once = false;  // even in a loop: every further proof would be refused alike
  CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::refused);
  INFO(out.str());
  CHECK(out.str().find("refused: invalid auxpow: coinbase has no output 2 or 3 (code -25)") !=
        std::string::npos);
  CHECK(out.str().find("check --commitment") != std::string::npos);
  CHECK_FALSE(node.mining.has_queued());
}

TEST_CASE("the loop keeps finalizing as blocks come, until stopped", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
  node.produce_on_create = true;
  std::stop_source stop;
  node.stop = &stop;
  node.stop_after_calls = 8;  // four rounds of createauxblock + submitauxblock
  MinerOptions options = once();
  options.once = false;
  std::ostringstream out;
  CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::stopped_or_accepted);
  INFO(out.str());
  CHECK(node.accepted == 4);
  CHECK(count(out.str(), "): accepted\n") == 4);
  CHECK(out.str().find("stopped: 4 accepted, 0 refused") != std::string::npos);
  // Each round's block carried the previous round's proof: consecutive ranges.
  using Range = std::pair<std::uint64_t, std::uint64_t>;
  CHECK(node.finalized == std::vector<Range>{{1, 3}, {4, 4}, {5, 5}});
}

TEST_CASE("work whose proof waits for a block is answered with the same proof, not mined again",
          "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 3);  // no block comes
  std::stop_source stop;
  node.stop = &stop;
  node.stop_after_calls = 8;
  MinerOptions options = once();
  options.once = false;
  std::ostringstream out;
  CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::stopped_or_accepted);
  const std::string text = out.str();
  INFO(text);
  REQUIRE(node.submissions.size() == 4);
  for (const std::string& params : node.submissions) CHECK(params == node.submissions.front());
  CHECK(count(text, "submitted blocks up to 3 ") == 1);
  CHECK(count(text, ": proof accepted, sent again every 1 ms until a block carries it\n") == 1);
  CHECK(text.find("stopped: 1 accepted, 0 refused") != std::string::npos);
  // When the block comes, it carries the proof, and the next work is mined afresh.
  node.add_block();
  CHECK(node.finalized == std::vector<std::pair<std::uint64_t, std::uint64_t>>{{1, 3}});
}

TEST_CASE("a proof sent again and refused is mined afresh", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
  std::stop_source stop;
  node.stop = &stop;
  node.stop_after_calls = 6;
  MinerOptions options = once();
  options.once = false;
  // The node "restarts" after the first acceptance: the resubmission finds the hash unknown.
  class ForgetfulNode : public NodeRpc {
   public:
    explicit ForgetfulNode(ScriptedNode& node) : node_(node) {}
    Reply call(std::string_view method, const json::array& params) override {
      if (method == "submitauxblock" && ++submits_ == 2) {
        node_.calls.emplace_back(method);
        return rpc_error(-8, "unknown aux block hash");
      }
      return node_.call(method, params);
    }

   private:
    ScriptedNode& node_;
    int submits_ = 0;
  } rpc(node);
  std::ostringstream out;
  CHECK(run_miner(rpc, options, stop.get_token(), out) == MinerExit::stopped_or_accepted);
  const std::string text = out.str();
  INFO(text);
  CHECK(text.find("resubmitted blocks up to 2 (aux block ") != std::string::npos);
  CHECK(text.find("refused: unknown aux block hash (code -8)") != std::string::npos);
  CHECK(count(text, "submitted blocks up to 2 ") == 3);  // mined, resubmitted, mined again
  CHECK(text.find("stopped: 2 accepted, 1 refused") != std::string::npos);
}

TEST_CASE("waiting states are printed once and retried; stale work is fetched again", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
  std::stop_source stop;
  node.stop = &stop;
  const Reply nothing = rpc_error(-1, "nothing to finalize: every block is finalized already");
  const Reply down = failed(tools::kNotReachable, "connection refused");
  const Reply starting = rpc_error(-10, "the chain is starting");
  const Reply stale = rpc_error(-8, "stale work: blocks 1..2");
  const Reply stopping =
      rpc_error(-32000, "'createauxblock' could not be delivered: actor stopped");
  node.scripted = {nothing, nothing, down, down, down, starting, stopping, stopping};
  // Then a real work unit whose submission is answered `stale`, then one that is accepted.
  node.stop_after_calls = 8 + 4;
  MinerOptions options = once();
  options.once = false;
  std::ostringstream out;
  FirstSubmitAnswered rpc(node, stale);  // the first submission is answered `stale`
  CHECK(run_miner(rpc, options, stop.get_token(), out) == MinerExit::stopped_or_accepted);
  const std::string text = out.str();
  INFO(text);
  CHECK(count(text, "nothing to finalize (every block is final); waiting for new blocks\n") == 1);
  CHECK(count(text, "node unreachable: connection refused; retrying every 1 ms\n") == 1);
  CHECK(count(text, "the node is busy: the chain is starting (code -10); retrying every 1 ms\n") ==
        1);
  CHECK(count(text,
              "the node is busy: 'createauxblock' could not be delivered: actor stopped "
              "(code -32000); retrying every 1 ms\n") == 1);
  CHECK(text.find("refused: stale work: blocks 1..2 (code -8)") != std::string::npos);
  CHECK(count(text, "): accepted\n") == 1);
  CHECK(node.accepted == 1);
}

TEST_CASE("--once against a node that is down exits 'unreachable'", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
  node.scripted = {failed(tools::kNotReachable, "connection refused")};
  std::stop_source stop;
  std::ostringstream out;
  CHECK(run_miner(node, once(), stop.get_token(), out) == MinerExit::unreachable);
  CHECK(out.str() == "node unreachable: connection refused\n");
}

TEST_CASE("--once: a submission the node could not take exits 'unreachable'", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
  FirstSubmitAnswered rpc(node, rpc_error(-32002, "'submitauxblock' did not answer in time"));
  std::stop_source stop;
  std::ostringstream out;
  CHECK(run_miner(rpc, once(), stop.get_token(), out) == MinerExit::unreachable);
  CHECK(out.str().find("): not taken: 'submitauxblock' did not answer in time (code -32002)\n") !=
        std::string::npos);
  CHECK(node.accepted == 0);
}

TEST_CASE("a work request refused for good, or unreadable work, ends the loop", "[miner]") {
  MinerOptions options = once();
  options.once = false;
  {
    ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
    node.scripted = {rpc_error(json_rpc::kMethodNotFound,
                               "merged mining is not configured on this chain ([chain.auxpow])")};
    std::stop_source stop;
    std::ostringstream out;
    CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::refused);
    CHECK(out.str().find("createauxblock refused: merged mining is not configured") !=
          std::string::npos);
  }
  {
    ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
    node.scripted = {result(json::parse(R"({"hash":"00"})"))};
    std::stop_source stop;
    std::ostringstream out;
    CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::refused);
    CHECK(out.str().find("cannot use the node's work: createauxblock's 'hash' is not 64 hex") !=
          std::string::npos);
  }
  {
    ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
    node.scripted = {tools::read_rpc_reply(404, "not found")};
    std::stop_source stop;
    std::ostringstream out;
    CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::refused);
    CHECK(out.str().find("createauxblock: HTTP 404, not a JSON-RPC answer") != std::string::npos);
  }
}

TEST_CASE("work too hard for --max-attempts is dropped for fresh work", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 2, kBitcoinBits);
  std::stop_source stop;
  node.stop = &stop;
  node.stop_after_calls = 2;
  MinerOptions options = once();
  options.once = false;
  options.max_attempts = 1000;
  std::ostringstream out;
  CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::stopped_or_accepted);
  INFO(out.str());
  CHECK(count(out.str(), "(bits 1d00ffff) in 1000 hashes, ") == 1);
  CHECK(node.calls == std::vector<std::string>{"createauxblock", "createauxblock"});
  CHECK_FALSE(node.mining.has_queued());
}

TEST_CASE("a stop before the first request ends the loop at once", "[miner]") {
  ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
  std::stop_source stop;
  stop.request_stop();
  MinerOptions options = once();
  options.once = false;
  std::ostringstream out;
  CHECK(run_miner(node, options, stop.get_token(), out) == MinerExit::stopped_or_accepted);
  CHECK(node.calls.empty());
  CHECK(out.str() == "stopped: 0 accepted, 0 refused\n");
}

TEST_CASE("the miner decides by the error's code, never by its message", "[miner]") {
  MinerOptions options = once();
  options.once = false;
  auto first_line = [&](Reply answer) {
    ScriptedNode node(AuxPowCommitment::coinbase_script, 2);
    std::stop_source stop;
    node.stop = &stop;
    node.stop_after_calls = 2;
    node.scripted = {answer, answer};
    std::ostringstream out;
    const MinerExit exit = run_miner(node, options, stop.get_token(), out);
    const std::string text = out.str();
    return std::make_pair(exit, text.substr(0, text.find('\n')));
  };
  // -1 is "nothing to finalize" whatever its text says; the same text under another code is not.
  CHECK(first_line(rpc_error(-1, "whatever the node writes")) ==
        std::make_pair(MinerExit::stopped_or_accepted,
                       std::string("nothing to finalize (every block is final); waiting for new "
                                   "blocks")));
  CHECK(first_line(rpc_error(json_rpc::kMethodNotFound, "nothing to finalize")) ==
        std::make_pair(MinerExit::refused,
                       std::string("createauxblock refused: nothing to finalize (code -32601)")));
  // -32002 (the plugin did not answer in time) and -32000 (not delivered) are worth a retry...
  for (std::int64_t code : {json_rpc::kPluginTimeout, json_rpc::kOperationFailed}) {
    INFO(code);
    auto [exit, line] = first_line(rpc_error(code, "refused for good"));
    CHECK(exit == MinerExit::stopped_or_accepted);
    CHECK(line.starts_with("the node is busy: refused for good (code "));
  }
  // ...an internal error is not, however busy its message sounds.
  auto [exit, line] = first_line(rpc_error(json_rpc::kInternalError, "the node is busy"));
  CHECK(exit == MinerExit::refused);
  CHECK(line == "createauxblock refused: the node is busy (code -32603)");
}
