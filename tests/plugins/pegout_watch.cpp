// pegout_watch: the consumer of the engine's peg-out reports until the bridge role exists. It
// subscribes to engine.pegouts_requested and serves what it received on the read-only admin method
// pegout_watch_reports, so a test of a whole alysd process (tests/integration/geth_ethers.test.cpp)
// sees the report a requestPegOut call produced, whichever engine backend runs. Serves any role.
//
// pegout_watch_reports answers {"reports":[{"height":N,"payload_hash":"0x…","requests":[
// {"transaction_hash":"0x…","log_index":N,"evm_address":"0x…","bitcoin_address":"0x…",
// "value_wei":"0x…"}]}]} in arrival order (hex is lower case; value_wei is 32 bytes, big-endian).
#include <string>
#include <vector>

#include "alys/plugin.hpp"
#include "alys/schemas/engine.hpp"

namespace {

template <class Bytes>
std::string hex_of(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (std::uint8_t byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

class PegOutWatchActor : public alys::Actor {
 public:
  explicit PegOutWatchActor(alys::Context context) : Actor(context) {
    on<alys::engine::PegOutsRequested>(
        [this](const alys::engine::PegOutsRequested& report, const alys::Envelope&) {
          reports_.push_back(report);
        });
    rpc("pegout_watch_reports", 0, [this](std::string_view) { return reports_json(); });
  }

  void on_start() override { context().subscribe(alys::engine::kPegOutsRequestedTopic); }

 private:
  std::string reports_json() const {
    std::string out = "{\"reports\":[";
    for (std::size_t i = 0; i < reports_.size(); ++i) {
      const alys::engine::PegOutsRequested& report = reports_[i];
      if (i > 0) out += ',';
      out += "{\"height\":" + std::to_string(report.height) + ",\"payload_hash\":\"" +
             hex_of(report.payload_hash) + "\",\"requests\":[";
      for (std::size_t j = 0; j < report.requests.size(); ++j) {
        const alys::engine::PegOutRequested& request = report.requests[j];
        if (j > 0) out += ',';
        out += "{\"transaction_hash\":\"" + hex_of(request.transaction_hash) +
               "\",\"log_index\":" + std::to_string(request.log_index) + ",\"evm_address\":\"" +
               hex_of(request.evm_address) + "\",\"bitcoin_address\":\"" +
               hex_of(request.bitcoin_address) + "\",\"value_wei\":\"" + hex_of(request.value_wei) +
               "\"}";
      }
      out += "]}";
    }
    return out + "]}";
  }

  std::vector<alys::engine::PegOutsRequested> reports_;
};

}  // namespace

ALYS_PLUGIN(PegOutWatchActor,
            alys::PluginInfo{
                .role = ALYS_ROLE_ANY, .name = "alys-test-pegout-watch", .version = "1.0.0"});
