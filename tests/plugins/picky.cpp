// picky: an actor whose start refuses some role tables, for the tests of table checks and of
// config changes. Its table: `limit` (an integer, 0 to 100, default 10); any other key but the
// host's is refused. It declines every config change (the host restarts it with the new table)
// and answers GetCount with the limit it started with in `total`.
// Two builds (tests/plugins/CMakeLists.txt):
//   picky          its start refuses a bad table, but it declares no check_config: the host sees
//                  its tables as unchecked and only a start finds the problem
//   picky_checked  the same, plus check_config from the same parser
#include <string>
#include <string_view>

#include "alys/json.hpp"
#include "alys/plugin.hpp"
#include "test_messages.hpp"

namespace {

struct PickySettings {
  std::int64_t limit = 10;
};

PickySettings read_settings(std::string_view table_json, alys::ConfigProblems& problems) {
  PickySettings settings;
  alys::Result<alys::json::Value> parsed = alys::json::parse(table_json);
  const alys::json::Object* table = parsed.ok() ? parsed->if_object() : nullptr;
  if (table == nullptr) {
    problems.invalid("", "the role table is not a JSON object");
    return settings;
  }
  for (const auto& [key, value] : *table) {
    if (key == "host") continue;
    if (key != "limit") {
      problems.invalid(key, "unknown key (valid: limit)");
      continue;
    }
    const std::optional<std::int64_t> limit = value.if_int64();
    if (!limit) {
      problems.wrong_type(key, "must be an integer");
    } else if (*limit < 0 || *limit > 100) {
      problems.invalid(key, "must be from 0 to 100, got " + std::to_string(*limit));
    } else {
      settings.limit = *limit;
    }
  }
  return settings;
}

class PickyActor : public alys::Actor {
 public:
  explicit PickyActor(alys::Context context) : Actor(context) {
    on<alys::test::GetCount>([this](const alys::test::GetCount&, const alys::Envelope& envelope) {
      alys::test::CountState state;
      state.total = static_cast<std::uint64_t>(settings_.limit);
      (void)this->context().reply(envelope.correlation_id, state);
    });
  }

#ifdef PICKY_CHECKED
  static void check_config(std::string_view table_json, alys::ConfigProblems& problems) {
    (void)read_settings(table_json, problems);
  }
#endif

  void on_start() override {
    alys::ConfigProblems problems;
    settings_ = read_settings(context().config_json(), problems);
    problems.throw_if_any("picky");
  }

 private:
  PickySettings settings_;
};

}  // namespace

ALYS_PLUGIN(PickyActor,
            alys::PluginInfo{.role = ALYS_ROLE_ANY, .name = "alys-test-picky", .version = "1.0.0"});
