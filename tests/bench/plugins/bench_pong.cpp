// bench_pong: answers every Value request with the same Value; fails on Crash.
#include "alys/plugin.hpp"
#include "bench_messages.hpp"

namespace {

using namespace alys::bench;

class Pong : public alys::Actor {
 public:
  explicit Pong(alys::Context context) : Actor(context) {
    on<Value>([this](const Value& value, const alys::Envelope& envelope) {
      (void)this->context().reply(envelope.correlation_id, value);
    });
    on<Crash>(
        [](const Crash&, const alys::Envelope&) { throw std::runtime_error("crash on request"); });
  }
};

}  // namespace

ALYS_PLUGIN(Pong,
            alys::PluginInfo{.role = ALYS_ROLE_ANY, .name = "alys-bench-pong", .version = "1.0.0"});
