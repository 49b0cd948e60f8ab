// bench_sink: counts Values; publishes Done when it has counted `expect` (role config) of them.
#include "alys/plugin.hpp"
#include "bench_messages.hpp"

namespace {

using namespace alys::bench;

class Sink : public alys::Actor {
 public:
  explicit Sink(alys::Context context) : Actor(context) {
    expect_ = static_cast<std::uint64_t>(this->context().config_int("expect").value_or(0));
    on<Value>([this](const Value&, const alys::Envelope&) {
      if (++count_ == expect_) (void)this->context().publish(kDoneTopic, Done{"sink", count_});
    });
  }

 private:
  std::uint64_t expect_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace

ALYS_PLUGIN(Sink,
            alys::PluginInfo{.role = ALYS_ROLE_ANY, .name = "alys-bench-sink", .version = "1.0.0"});
