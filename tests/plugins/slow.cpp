// slow: blocks for the requested time, then replies — for timeouts and late replies. Also serves
// the admin method slow_sleep.
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
    // An admin method that takes `{"ms": N}` milliseconds: for the admin API's deadline.
    rpc("slow_sleep", 0, [](std::string_view params) {
      auto digits = params.find_first_of("0123456789");
      std::uint64_t ms =
          digits == std::string_view::npos ? 0 : std::stoull(std::string(params.substr(digits)));
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      return std::string("{\"slept_ms\":") + std::to_string(ms) + "}";
    });
  }
};

}  // namespace

ALYS_PLUGIN(SlowActor,
            alys::PluginInfo{.role = ALYS_ROLE_ANY, .name = "alys-test-slow", .version = "1.0.0"});
