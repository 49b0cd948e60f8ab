// bench_ping: on Go, `count` request/response round trips with the target, one at a time;
// records each round trip's latency and publishes Done with p50/p99.
#include <algorithm>
#include <chrono>
#include <vector>

#include "alys/plugin.hpp"
#include "bench_messages.hpp"

namespace {

using namespace alys::bench;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

class Ping : public alys::Actor {
 public:
  explicit Ping(alys::Context context) : Actor(context) {
    on<Go>([this](const Go& go, const alys::Envelope&) {
      target_ = this->context().resolve(go.target);
      count_ = go.count;
      latencies_.clear();
      latencies_.reserve(count_);
      next();
    });
    on<Value>([this](const Value&, const alys::Envelope& envelope) {
      if (envelope.kind != ALYS_KIND_REPLY) return;
      latencies_.push_back(now_ns() - sent_at_);
      if (latencies_.size() < count_) return next();
      std::sort(latencies_.begin(), latencies_.end());
      auto at = [&](double q) {
        return latencies_[static_cast<std::size_t>(q * (latencies_.size() - 1))];
      };
      (void)this->context().publish(kDoneTopic, Done{"ping", latencies_.size(), at(0.5), at(0.99)});
    });
  }

 private:
  void next() {
    sent_at_ = now_ns();
    this->context().request(target_, Value{latencies_.size()}, 60'000);
  }

  alys::Address target_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t sent_at_ = 0;
  std::vector<std::uint64_t> latencies_;
};

}  // namespace

ALYS_PLUGIN(Ping,
            alys::PluginInfo{.role = ALYS_ROLE_ANY, .name = "alys-bench-ping", .version = "1.0.0"});
