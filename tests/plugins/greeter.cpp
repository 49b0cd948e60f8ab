// greeter: two builds of one plugin, compiled against two versions of the same message schema —
// GREETER_SCHEMA 1 knows Greeting {name}; GREETER_SCHEMA 2 appended {language}. They greet each
// other to show appended fields are ignored by the older decoder and defaulted by the newer one.
#include <map>

#include "alys/plugin.hpp"
#include "greeter_messages.hpp"

#ifndef GREETER_SCHEMA
#define GREETER_SCHEMA 1
#endif

namespace {

using alys::test::Relay;
using alys::test::Seen;

struct Greeting {
  static constexpr std::string_view schema_name = "alys.test.Greeting/1";
  std::string name;
#if GREETER_SCHEMA >= 2
  std::string language;  // appended in the newer build
  ALYS_FIELDS(name, language)
#else
  ALYS_FIELDS(name)
#endif
};

class Greeter : public alys::Actor {
 public:
  explicit Greeter(alys::Context context) : Actor(context) {
    on<Greeting>([this](const Greeting& greeting, const alys::Envelope& envelope) {
      Seen seen{greeting.name, "", GREETER_SCHEMA};
#if GREETER_SCHEMA >= 2
      seen.language = greeting.language;
#endif
      (void)this->context().reply(envelope.correlation_id, seen);
    });
    on<Relay>([this](const Relay& relay, const alys::Envelope& envelope) {
      Greeting greeting;
      greeting.name = relay.name;
#if GREETER_SCHEMA >= 2
      greeting.language = relay.language;
#endif
      std::uint64_t asked =
          this->context().request(this->context().resolve(relay.to_role), greeting, 5000);
      relayed_[asked] = envelope.correlation_id;
    });
    on<Seen>([this](const Seen& seen, const alys::Envelope& envelope) {
      auto waiting = relayed_.find(envelope.correlation_id);
      if (waiting == relayed_.end()) return;
      (void)this->context().reply(waiting->second, seen);
      relayed_.erase(waiting);
    });
  }

 private:
  std::map<std::uint64_t, std::uint64_t> relayed_;  // our request -> the test's request
};

}  // namespace

ALYS_PLUGIN(Greeter, alys::PluginInfo{.role = ALYS_ROLE_ANY,
                                      .name = "alys-test-greeter",
                                      .version = GREETER_SCHEMA == 1 ? "1.0.0" : "2.0.0"});
