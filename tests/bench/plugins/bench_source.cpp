// bench_source: on Go, its own thread sends `count` Values to the target as fast as the target's
// bounded mailbox takes them (a refused send is retried: back-pressure), then publishes Done.
#include <atomic>
#include <thread>

#include "alys/plugin.hpp"
#include "bench_messages.hpp"

namespace {

using namespace alys::bench;

class Source : public alys::Actor {
 public:
  explicit Source(alys::Context context) : Actor(context) {
    on<Go>([this](const Go& go, const alys::Envelope&) {
      if (thread_.joinable()) thread_.join();
      alys::Address target = this->context().resolve(go.target);
      thread_ = std::thread([this, target, count = go.count] { pump(target, count); });
    });
  }

  void on_stop() override {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void pump(alys::Address target, std::uint64_t count) {
    const alys::Context& ctx = context();
    std::uint64_t refused = 0;
    alys::Bytes bytes;
    bytes.reserve(16);
    for (std::uint64_t i = 0; i < count && !stopping_; ++i) {
      bytes.clear();  // one buffer for every message: no allocation per send
      alys::Writer writer(bytes);
      Value{i}.alys_fields(writer);
      while (!ctx.send_raw(target, alys::type_id_of<Value>(), bytes).ok()) {
        ++refused;
        if (stopping_) return;
        std::this_thread::yield();
      }
    }
    (void)ctx.publish(kDoneTopic, Done{"source", count, 0, 0, refused});
  }

  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace

ALYS_PLUGIN(Source, alys::PluginInfo{
                        .role = ALYS_ROLE_ANY, .name = "alys-bench-source", .version = "1.0.0"});
