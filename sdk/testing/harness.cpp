// The SDK's in-process test harness (alys/testing.hpp): a deterministic host::Runtime with a
// recording actor as the role "test". Built into the shared library AlysSDK::testing.
#include "alys/testing.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include "alys/admin_rpc.hpp"
#include "alys/plugin.hpp"
#include "host/config/config.hpp"
#include "host/loading/plugin_library.hpp"
#include "host/runtime/runtime.hpp"

namespace alys::testing {
namespace {

constexpr const char* kTestRole = "test";

// The role "test": records everything that reaches it.
class Recorder : public Actor {
 public:
  Recorder(Context context, std::vector<Received>* inbox) : Actor(context), inbox_(inbox) {}
  explicit Recorder(Context context) : Actor(context) {}

 protected:
  std::int32_t on_unhandled(const Envelope& envelope) override {
    if (inbox_ != nullptr)
      inbox_->push_back(Received{envelope.type_id, envelope.correlation_id, envelope.topic_id,
                                 envelope.sender, static_cast<std::uint32_t>(envelope.kind),
                                 Bytes(envelope.payload.begin(), envelope.payload.end())});
    return ALYS_OK;
  }

 private:
  std::vector<Received>* inbox_ = nullptr;
};

constexpr alys_plugin_function_table kRecorderFunctions = detail::make_function_table<Recorder>();

std::shared_ptr<spdlog::logger> harness_logger() {
  auto logger = std::make_shared<spdlog::logger>(
      "alys-harness", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  const char* level = std::getenv("ALYS_TEST_LOG");
  logger->set_level(spdlog::level::from_str(level ? level : "warn"));
  return logger;
}

}  // namespace

struct Harness::Impl {
  host::Runtime runtime;
  std::vector<Received> inbox;
  std::optional<Context> test_context;
  std::filesystem::path scratch;
  bool started = false;

  explicit Impl(const HarnessOptions& options) : runtime(runtime_options(options)) {}

  static host::RuntimeOptions runtime_options(const HarnessOptions& options) {
    host::RuntimeOptions runtime;
    runtime.deterministic = true;
    runtime.virtual_clock = true;
    runtime.virtual_start_ms = options.start_ms;
    runtime.logger = harness_logger();
    runtime.swap_trial_ms = options.swap_trial_ms;
    runtime.scratch_dir = std::filesystem::temp_directory_path() / "alys-harness-plugins";
    return runtime;
  }

  void add(const std::string& role, std::shared_ptr<host::PluginLibrary> library,
           std::string_view config_toml, std::vector<std::string> requires_roles) {
    if (started) throw std::logic_error("Harness::add after start()");
    // The same rules as a node: the plugin serves this role, and its own requires count too.
    const alys_manifest& manifest = library->manifest();
    std::string served = manifest.role;
    if (served != ALYS_ROLE_ANY && served != role)
      throw std::runtime_error("the plugin serves role '" + served + "', not '" + role + "'");
    for (std::uint32_t i = 0; i < manifest.requires_count && i < ALYS_REQUIRES_MAX; ++i) {
      std::string required = manifest.requires_roles[i];
      if (std::find(requires_roles.begin(), requires_roles.end(), required) == requires_roles.end())
        requires_roles.push_back(required);
    }
    host::ActorSpec spec;
    spec.role = role;
    spec.library = std::move(library);
    spec.requires_roles = std::move(requires_roles);
    auto table = host::parse_role_table(std::string(config_toml));
    if (!table.ok())
      throw std::runtime_error("config of role '" + role +
                               "' is not valid TOML: " + table.status().message());
    spec.role_table = std::move(*table);
    runtime.add_actor(std::move(spec));
  }

  Address address(std::string_view role) const {
    auto found = runtime.resolve(std::string(role));
    if (!found) throw std::runtime_error("no role '" + std::string(role) + "' in this harness");
    return *found;
  }

  const Context& context() const {
    if (!test_context) throw std::logic_error("call Harness::start() first");
    return *test_context;
  }
};

Harness::Harness(HarnessOptions options) : impl_(std::make_unique<Impl>(options)) {
  std::vector<Received>* inbox = &impl_->inbox;
  std::optional<Context>* slot = &impl_->test_context;
  auto recorder = host::PluginLibrary::linked(
      detail::make_manifest(PluginInfo{.name = "alys-test-harness", .version = "1.0.0"}),
      kRecorderFunctions,
      [inbox, slot](const alys_host_api* api, alys_host_context* ctx, alys_status*) {
        auto* instance = new alys_instance();
        instance->actor = std::make_unique<Recorder>(Context(api, ctx), inbox);
        slot->emplace(api, ctx);
        return instance;
      });
  host::ActorSpec spec;
  spec.role = kTestRole;
  spec.library = std::move(recorder);
  spec.mailbox.capacity = 1'000'000;  // the test reads what it gets; never refuse it
  impl_->runtime.add_actor(std::move(spec));
}

Harness::~Harness() = default;

Harness& Harness::add(std::string_view role, const std::filesystem::path& plugin_file,
                      std::string_view config_toml, std::vector<std::string> requires_roles) {
  Result<std::shared_ptr<host::PluginLibrary>> loaded =
      host::PluginLibrary::load(plugin_file, impl_->runtime_options({}).scratch_dir);
  if (!loaded.ok()) throw std::runtime_error(loaded.status().message());
  impl_->add(std::string(role), std::move(loaded).value(), config_toml, std::move(requires_roles));
  return *this;
}

Harness& Harness::add(std::string_view role, const LinkedPlugin& plugin,
                      std::string_view config_toml, std::vector<std::string> requires_roles) {
  Status accepted =
      host::check_abi(plugin.manifest, "linked plugin for role '" + std::string(role) + "'");
  if (!accepted.ok()) throw std::runtime_error(accepted.message());
  impl_->add(std::string(role), host::PluginLibrary::linked(plugin.manifest, *plugin.functions),
             config_toml, std::move(requires_roles));
  return *this;
}

void Harness::start() {
  if (Status started = impl_->runtime.start(); !started.ok())
    throw std::runtime_error(started.message());
  impl_->started = true;
  impl_->runtime.run_until_idle();
}

void Harness::run() { impl_->runtime.run_until_idle(); }

void Harness::advance(std::chrono::milliseconds duration) {
  impl_->runtime.advance(static_cast<std::uint64_t>(duration.count()));
}

std::uint64_t Harness::now_ms() const { return impl_->runtime.timers().now_ms(); }

Status Harness::send_raw(std::string_view role, std::uint64_t type_id, const Bytes& payload,
                         Priority priority) {
  return impl_->context().send_raw(impl_->address(role), type_id, payload, priority);
}

std::uint64_t Harness::request_raw(std::string_view role, std::uint64_t type_id,
                                   const Bytes& payload, std::uint64_t timeout_ms,
                                   Priority priority) {
  std::uint64_t correlation = 0;
  std::int32_t code =
      impl_->runtime.request(impl_->address(kTestRole), impl_->address(role), type_id,
                             static_cast<std::uint32_t>(priority), payload.data(), payload.size(),
                             timeout_ms, &correlation);
  if (code != ALYS_OK)
    throw std::runtime_error("request to '" + std::string(role) + "' refused: " + code_name(code));
  return correlation;
}

void Harness::publish_raw(std::string_view topic, std::uint64_t type_id, const Bytes& payload) {
  impl_->runtime.publish(impl_->address(kTestRole), std::string(topic), type_id, payload.data(),
                         payload.size());
}

void Harness::subscribe(std::string_view topic) {
  impl_->runtime.subscribe(impl_->address(kTestRole), std::string(topic));
}

std::vector<Received> Harness::received() const { return impl_->inbox; }

std::optional<Received> Harness::reply(std::uint64_t correlation_id) const {
  for (const auto& item : impl_->inbox)
    if (item.correlation_id == correlation_id &&
        (item.kind == ALYS_KIND_REPLY || item.kind == ALYS_KIND_TIMEOUT))
      return item;
  return std::nullopt;
}

std::vector<Received> Harness::events(std::string_view topic) const {
  std::vector<Received> out;
  std::uint64_t id = topic_id(topic);
  for (const auto& item : impl_->inbox)
    if (item.kind == ALYS_KIND_EVENT && item.topic_id == id) out.push_back(item);
  return out;
}

void Harness::clear_received() { impl_->inbox.clear(); }

std::vector<DeadLetterInfo> Harness::dead_letters() const {
  std::vector<DeadLetterInfo> out;
  for (const auto& letter : impl_->runtime.dead_letters().recent())
    out.push_back(DeadLetterInfo{letter.role, letter.reason, letter.type_id, letter.kind});
  return out;
}

std::optional<double> Harness::metric(std::string_view role, std::string_view name) const {
  auto sample = impl_->runtime.metrics().find(std::string(role), std::string(name));
  if (!sample) return std::nullopt;
  switch (sample->kind) {
    case host::MetricSample::Kind::counter:
      return static_cast<double>(sample->counter);
    case host::MetricSample::Kind::gauge:
      return sample->gauge;
    case host::MetricSample::Kind::histogram:
      return static_cast<double>(sample->histogram.count);
  }
  return std::nullopt;
}

std::string Harness::state(std::string_view role) const {
  host::ActorCell* cell = impl_->runtime.cell(std::string(role));
  if (cell == nullptr)
    throw std::runtime_error("no role '" + std::string(role) + "' in this harness");
  return host::to_string(cell->state());
}

std::uint64_t Harness::restarts(std::string_view role) const {
  host::ActorCell* cell = impl_->runtime.cell(std::string(role));
  if (cell == nullptr)
    throw std::runtime_error("no role '" + std::string(role) + "' in this harness");
  return cell->counters().restarts.load();
}

std::string Harness::call_rpc(std::string_view method_name, std::string_view params_json,
                              std::uint64_t timeout_ms) {
  const std::string method(method_name);
  auto served = impl_->runtime.rpc_methods().find(method);
  if (!served) throw std::runtime_error("no plugin serves the admin method '" + method + "'");
  std::optional<std::int32_t> code;
  Bytes answer;
  impl_->runtime.external_request(served->address, ALYS_TYPE_RPC_CALL,
                                  encode(RpcCall{method, std::string(params_json)}), timeout_ms,
                                  [&](Result<std::vector<std::uint8_t>> answered) {
                                    code = answered.status().code();
                                    if (answered.ok()) answer = std::move(answered).value();
                                  });
  impl_->runtime.run_until_idle();
  if (!code) impl_->runtime.advance(timeout_ms);  // not answered at once: let the deadline pass
  if (!code || *code != ALYS_OK)
    throw std::runtime_error("'" + method + "' failed: " + (code ? code_name(*code) : "no answer"));
  RpcResult result = decode<RpcResult>(answer);
  if (!result.ok) throw std::runtime_error("'" + method + "' failed: " + result.json);
  return result.json;
}

SwapResult Harness::swap(std::string_view role, const std::filesystem::path& plugin_file) {
  host::SwapOutcome outcome = impl_->runtime.swap_and_wait(std::string(role), plugin_file);
  return SwapResult{outcome.ok, outcome.mode, outcome.stage, outcome.message, outcome.pause_us};
}

}  // namespace alys::testing
