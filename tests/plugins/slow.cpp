// slow: blocks for the requested time, then replies — for timeouts and late replies.
#include <chrono>
#include <thread>

#include "alys/plugin.hpp"
#include "test_messages.hpp"

namespace {

class SlowActor : public alys::Actor {
 public:
  explicit SlowActor(alys::Context context) : Actor(context) {
    on<alys::test::Sleep>([this](const alys::test::Sleep& sleep, const alys::Envelope& envelope) {
      std::this_thread::sleep_for(std::chrono::milliseconds(sleep.ms));
      if (envelope.is_request()) (void)this->context().reply(envelope.correlation_id, sleep);
    });
  }
};

}  // namespace

ALYS_PLUGIN(SlowActor,
            alys::PluginInfo{.role = ALYS_ROLE_ANY, .name = "alys-test-slow", .version = "1.0.0"});
