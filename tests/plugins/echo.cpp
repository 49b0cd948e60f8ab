// echo: answers every Echo request with the same text; serves any role.
#include "alys/plugin.hpp"
#include "test_messages.hpp"

namespace {

class EchoActor : public alys::Actor {
 public:
  explicit EchoActor(alys::Context context) : Actor(context) {
    on<alys::test::Echo>([this](const alys::test::Echo& echo, const alys::Envelope& envelope) {
      if (envelope.is_request()) (void)this->context().reply(envelope.correlation_id, echo);
    });
  }
};

}  // namespace

ALYS_PLUGIN(EchoActor,
            alys::PluginInfo{.role = ALYS_ROLE_ANY, .name = "alys-test-echo", .version = "1.0.0"});
