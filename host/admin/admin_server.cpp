#include "host/admin/admin_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <thread>

#include "alys_version.hpp"

#include "alys/admin_rpc.hpp"
#include "alys/json_rpc.hpp"
#include "alys/status.hpp"
#include "host/admin/admin_methods.hpp"
#include "host/admin/node_metrics.hpp"
#include "host/config/host_port.hpp"
#include "host/runtime/runtime.hpp"

namespace alys::host {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using namespace alys::json_rpc;  // the error codes
constexpr std::size_t kMaxBatchCalls = 1000;

// An answer to one HTTP request.
struct Answer {
  http::status status = http::status::ok;
  std::string content_type = "application/json";
  std::string body;
};

Answer rpc_error(json::value id, int code, std::string message, json::value data = nullptr,
                 http::status status = http::status::ok) {
  json::object error{{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) error["data"] = std::move(data);
  json::object reply{{"jsonrpc", "2.0"}, {"error", std::move(error)}, {"id", std::move(id)}};
  return Answer{status, "application/json", json::serialize(reply)};
}

Answer rpc_result(json::value id, json::value result) {
  json::object reply{{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", std::move(id)}};
  return Answer{http::status::ok, "application/json", json::serialize(reply)};
}

// Delivers an answer; `after_write` (may be empty) runs once it is written.
using Reply = std::function<void(Answer, std::function<void()> after_write)>;

// One JSON-RPC call, validated, as a method's handler gets it.
struct Call {
  json::value id;
  std::string method;
  json::value params;  // an object or an array
  Reply reply;         // call exactly once

  void answer(json::value result) const { reply(rpc_result(id, std::move(result)), {}); }
  void fail(int code, std::string message, json::value data = nullptr) const {
    reply(rpc_error(id, code, std::move(message), std::move(data)), {});
  }
  // A string member of object params; nullopt when missing or not a string.
  std::optional<std::string> string_param(const char* name) const {
    if (!params.is_object()) return std::nullopt;
    auto found = params.as_object().find(name);
    if (found == params.as_object().end() || !found->value().is_string()) return std::nullopt;
    return std::string(found->value().as_string());
  }
};

// Compares without an early exit, so the time taken says nothing about the token.
bool same_token(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < given.size(); ++i)
    difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return difference == 0;
}

// What /health and node_status show an actor as: its ActorState, or "degraded" while it runs but
// cannot do its work.
std::string shown_state(ActorState state, const std::string& degraded_reason) {
  if (state == ActorState::running && !degraded_reason.empty()) return "degraded";
  return to_string(state);
}

json::array actor_rows(const Runtime& runtime, bool with_plugin) {
  json::array rows;
  for (ActorCell* cell : runtime.cells()) {
    std::string degraded_reason = cell->degraded_reason();
    json::object row{{"role", cell->role()},
                     {"state", shown_state(cell->state(), degraded_reason)},
                     {"restarts", cell->counters().restarts.load()},
                     {"mailbox_depth", cell->mailbox_depth()},
                     {"last_error", cell->last_error()},
                     {"degraded_reason", std::move(degraded_reason)}};
    if (with_plugin) {
      auto library = cell->library();
      row["plugin"] = library->manifest().name;
      row["plugin_version"] = library->manifest().version;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool actor_healthy(const ActorCell& cell) {
  ActorState state = cell.state();
  if (state == ActorState::running) return !cell.degraded();
  // A transient or temporary actor that finished its work is not a fault; one that crashed is.
  return state == ActorState::exited && !cell.failed_exit();
}

// The node's state in /health and node_status: "stopped", "degraded" while an actor is, or
// "running".
const char* node_state(const Runtime& runtime) {
  if (runtime.stopped()) return "stopped";
  for (ActorCell* cell : runtime.cells())
    if (cell->state() == ActorState::running && cell->degraded()) return "degraded";
  return "running";
}

}  // namespace

struct AdminServer::Impl {
  Runtime& runtime;
  AdminOptions options;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  Impl(Runtime& r, AdminOptions o) : runtime(r), options(std::move(o)) {}

  void accept();
  void serve(tcp::socket socket);
  // Calls `reply` exactly once, on the io thread.
  void route(const http::request<http::string_body>& request, Reply reply);
  void rpc(const http::request<http::string_body>& request, Reply reply);
  // One call of a request or of a batch: validates it, then dispatches it (reserved_methods).
  void rpc_call(const json::value& parsed, const http::request<http::string_body>& request,
                Reply reply);
  void rpc_batch(const json::array& calls, const http::request<http::string_body>& request,
                 Reply reply);
  bool authorized(const http::request<http::string_body>& request) const;
  Answer unauthorized(const Call& call) const;
  Answer health() const;

  // The host's own methods (admin_methods.hpp).
  void node_status(const Call& call);
  void plugin_list(const Call& call);
  void plugin_reload(const Call& call);
  void actor_restart(const Call& call);
  void node_shutdown(const Call& call);
  // Any other method: the plugin that registered it (RpcRegistry) answers.
  void plugin_method(const Call& call, bool authorized);

  // A method the host serves itself: its name, whether it changes the node (so it needs the
  // bearer token), and its handler.
  struct ReservedMethod {
    std::string_view name;
    bool needs_token;
    void (Impl::*handle)(const Call&);
  };
  static const std::array<ReservedMethod, admin_methods::kReserved.size()> kReservedMethods;
  // The entry of `method`; nullptr when the host does not serve it.
  static const ReservedMethod* find_reserved(std::string_view method);
};

// The host's methods, each registered once. Constant-initialized: nothing runs before main().
const std::array<AdminServer::Impl::ReservedMethod, admin_methods::kReserved.size()>
    AdminServer::Impl::kReservedMethods{{
        {admin_methods::kNodeStatus, false, &Impl::node_status},
        {admin_methods::kPluginList, false, &Impl::plugin_list},
        {admin_methods::kPluginReload, true, &Impl::plugin_reload},
        {admin_methods::kActorRestart, true, &Impl::actor_restart},
        {admin_methods::kNodeShutdown, true, &Impl::node_shutdown},
    }};

const AdminServer::Impl::ReservedMethod* AdminServer::Impl::find_reserved(std::string_view method) {
  auto found =
      std::find_if(kReservedMethods.begin(), kReservedMethods.end(),
                   [&](const ReservedMethod& reserved) { return reserved.name == method; });
  return found == kReservedMethods.end() ? nullptr : &*found;
}

// One connection: read a request, answer it, repeat while the client keeps it alive.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(AdminServer::Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)) {}

  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      Answer answer = rpc_error(
          nullptr, kInvalidRequest,
          "request body exceeds " + std::to_string(server_.options.max_body_bytes) + " bytes",
          nullptr, http::status::payload_too_large);
      keep_alive_ = false;
      write(std::move(answer), {});
      return;
    }
    if (ec) return;  // closed, timed out or malformed HTTP: drop the connection
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive();
    auto self = shared_from_this();
    server_.route(request_, [self](Answer answer, std::function<void()> after_write) {
      // Answers may be produced on the control thread: hop back onto the io thread.
      asio::post(self->stream_.get_executor(), [self, answer = std::move(answer),
                                                after_write = std::move(after_write)]() mutable {
        self->write(std::move(answer), std::move(after_write));
      });
    });
  }

  void write(Answer answer, std::function<void()> after_write) {
    response_ = {};
    response_.version(11);
    response_.result(answer.status);
    response_.set(http::field::server, "alysd");
    response_.set(http::field::content_type, answer.content_type);
    response_.keep_alive(keep_alive_);
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this(), after_write = std::move(after_write)](
                          beast::error_code ec, std::size_t) {
                        if (after_write) after_write();
                        if (ec || !self->keep_alive_) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          return;
                        }
                        self->read();
                      });
  }

  AdminServer::Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
};

void AdminServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) serve(std::move(socket));
    accept();
  });
}

void AdminServer::Impl::serve(tcp::socket socket) {
  std::make_shared<AdminSession>(*this, std::move(socket))->read();
}

Answer AdminServer::Impl::health() const {
  bool healthy = !runtime.stopped();
  for (ActorCell* cell : runtime.cells()) healthy = healthy && actor_healthy(*cell);
  json::object body{
      {"state", node_state(runtime)}, {"healthy", healthy}, {"actors", actor_rows(runtime, false)}};
  return Answer{healthy ? http::status::ok : http::status::service_unavailable, "application/json",
                json::serialize(body)};
}

void AdminServer::Impl::route(const http::request<http::string_body>& request, Reply reply) {
  std::string_view target(request.target().data(), request.target().size());
  if (auto query = target.find('?'); query != std::string_view::npos)
    target = target.substr(0, query);
  if (request.method() == http::verb::get && target == "/health") return reply(health(), {});
  if (request.method() == http::verb::get && target == "/metrics") {
    return reply(Answer{http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                        render_prometheus(collect_node_metrics(runtime))},
                 {});
  }
  if (target == "/" && request.method() == http::verb::post) return rpc(request, std::move(reply));
  if (target == "/" || target == "/health" || target == "/metrics")
    return reply(Answer{http::status::method_not_allowed, "text/plain", "method not allowed\n"},
                 {});
  reply(Answer{http::status::not_found, "text/plain",
               "not found: GET /health, GET /metrics, POST /\n"},
        {});
}

void AdminServer::Impl::rpc(const http::request<http::string_body>& request, Reply reply) {
  json::value parsed;
  try {
    parsed = json::parse(request.body());
  } catch (const std::exception& error) {
    return reply(rpc_error(nullptr, kParseError, std::string("parse error: ") + error.what()), {});
  }
  if (parsed.is_array()) {
    if (parsed.as_array().empty())
      return reply(rpc_error(nullptr, kInvalidRequest, "a batch must not be empty"), {});
    // Each call becomes a message to an actor: a bound keeps one request from flooding mailboxes.
    if (parsed.as_array().size() > kMaxBatchCalls)
      return reply(rpc_error(nullptr, kInvalidRequest,
                             "a batch of " + std::to_string(parsed.as_array().size()) +
                                 " calls exceeds the limit of " + std::to_string(kMaxBatchCalls)),
                   {});
    return rpc_batch(parsed.as_array(), request, std::move(reply));
  }
  rpc_call(parsed, request, std::move(reply));
}

// JSON-RPC 2.0 batches (wallets such as ethers send them): every call is answered in one array, in
// the order of the calls, once the last answer is in. Authorization is per call, inside the array.
void AdminServer::Impl::rpc_batch(const json::array& calls,
                                  const http::request<http::string_body>& request, Reply reply) {
  struct Collected {
    std::mutex mutex;
    std::vector<json::value> answers;
    std::vector<std::function<void()>> after_writes;
    std::size_t remaining;
    Reply reply;
  };
  auto collected = std::make_shared<Collected>();
  collected->answers.resize(calls.size());
  collected->remaining = calls.size();
  collected->reply = std::move(reply);
  for (std::size_t index = 0; index < calls.size(); ++index) {
    rpc_call(calls[index], request,
             [collected, index](Answer answer, std::function<void()> after_write) {
               std::unique_lock lock(collected->mutex);
               collected->answers[index] = json::parse(answer.body);
               if (after_write) collected->after_writes.push_back(std::move(after_write));
               if (--collected->remaining != 0) return;
               json::array all;
               for (json::value& one : collected->answers) all.push_back(std::move(one));
               auto after_writes = std::move(collected->after_writes);
               lock.unlock();
               collected->reply(Answer{http::status::ok, "application/json", json::serialize(all)},
                                [after_writes = std::move(after_writes)] {
                                  for (const auto& action : after_writes) action();
                                });
             });
  }
}

void AdminServer::Impl::rpc_call(const json::value& parsed,
                                 const http::request<http::string_body>& request, Reply reply) {
  if (!parsed.is_object())
    return reply(rpc_error(nullptr, kInvalidRequest, "a request must be a JSON object or a batch"),
                 {});
  const json::object& object = parsed.as_object();
  json::value id = object.contains("id") ? object.at("id") : json::value(nullptr);
  if (!id.is_null() && !id.is_string() && !id.is_number())
    return reply(rpc_error(nullptr, kInvalidRequest, "id must be a string, a number or null"), {});
  auto version = object.find("jsonrpc");
  if (version == object.end() || !version->value().is_string() ||
      version->value().as_string() != "2.0")
    return reply(rpc_error(id, kInvalidRequest, "jsonrpc must be \"2.0\""), {});
  auto method_field = object.find("method");
  if (method_field == object.end() || !method_field->value().is_string())
    return reply(rpc_error(id, kInvalidRequest, "method must be a string"), {});
  json::value params =
      object.contains("params") ? object.at("params") : json::value(json::object());
  if (!params.is_object() && !params.is_array())
    return reply(rpc_error(id, kInvalidRequest, "params must be an object or an array"), {});

  Call call{std::move(id), std::string(method_field->value().as_string()), std::move(params),
            std::move(reply)};
  bool has_token = authorized(request);
  if (const ReservedMethod* reserved = find_reserved(call.method)) {
    if (reserved->needs_token && !has_token) return call.reply(unauthorized(call), {});
    return (this->*reserved->handle)(call);
  }
  plugin_method(call, has_token);
}

bool AdminServer::Impl::authorized(const http::request<http::string_body>& request) const {
  auto header = request.find(http::field::authorization);
  if (header == request.end() || options.token.empty()) return false;
  std::string_view value(header->value().data(), header->value().size());
  return value.starts_with("Bearer ") && same_token(value.substr(7), options.token);
}

Answer AdminServer::Impl::unauthorized(const Call& call) const {
  return rpc_error(
      call.id, kUnauthorized,
      options.token.empty()
          ? "unauthorized: no admin_token_file is configured, so '" + call.method + "' is disabled"
          : "unauthorized: '" + call.method + "' needs a valid bearer token",
      nullptr, http::status::unauthorized);
}

void AdminServer::Impl::node_status(const Call& call) {
  call.answer(
      json::object{{"state", node_state(runtime)},
                   {"version", ALYS_NODE_VERSION},
                   {"abi", std::to_string(ALYS_ABI_MAJOR) + "." + std::to_string(ALYS_ABI_MINOR)},
                   {"uptime_seconds", runtime.uptime_seconds()},
                   {"actors", actor_rows(runtime, true)}});
}

void AdminServer::Impl::plugin_list(const Call& call) {
  json::array plugins;
  for (ActorCell* cell : runtime.cells()) {
    auto library = cell->library();
    const alys_manifest& manifest = library->manifest();
    json::array requires_roles;
    for (const auto& role : cell->spec().requires_roles)
      requires_roles.push_back(json::string(role));
    plugins.push_back(json::object{
        {"role", cell->role()},
        {"name", manifest.name},
        {"version", manifest.version},
        {"file", library->file().string()},
        {"abi", std::to_string(manifest.abi_major) + "." + std::to_string(manifest.abi_minor)},
        {"state_schema_version", manifest.state_schema_version},
        {"swappable", (manifest.capabilities & ALYS_CAP_SWAPPABLE) != 0},
        {"dedicated_thread",
         (manifest.capabilities & ALYS_CAP_DEDICATED_THREAD) != 0 || cell->spec().dedicated_thread},
        {"requires", std::move(requires_roles)}});
  }
  call.answer(std::move(plugins));
}

void AdminServer::Impl::plugin_reload(const Call& call) {
  auto role = call.string_param("role");
  auto path = call.string_param("path");
  if (!role || !path)
    return call.fail(kInvalidParams, "plugin_reload needs params {role: string, path: string}");
  runtime.swap(*role, std::filesystem::absolute(*path), [call](const SwapOutcome& outcome) {
    if (outcome.ok)
      return call.answer(json::object{{"role", outcome.role},
                                      {"mode", outcome.mode},
                                      {"from_version", outcome.from_version},
                                      {"to_version", outcome.to_version},
                                      {"pause_us", outcome.pause_us},
                                      {"state_schema_from", outcome.state_schema_from},
                                      {"state_schema_to", outcome.state_schema_to}});
    call.fail(
        kOperationFailed,
        "reload of '" + outcome.role + "' failed at " + outcome.stage + ": " + outcome.message,
        json::object{{"role", outcome.role},
                     {"stage", outcome.stage},
                     {"rolled_back", outcome.rolled_back},
                     {"serving_version", outcome.from_version}});
  });
}

void AdminServer::Impl::actor_restart(const Call& call) {
  auto role = call.string_param("role");
  if (!role) return call.fail(kInvalidParams, "actor_restart needs params {role: string}");
  runtime.restart_actor(*role, [call, role = *role](const Status& restarted) {
    if (!restarted.ok())
      return call.fail(kOperationFailed,
                       "restart of '" + role + "' failed: " + restarted.message());
    call.answer(json::object{{"role", role}, {"restarted", true}});
  });
}

void AdminServer::Impl::node_shutdown(const Call& call) {
  // The answer goes out first; the stop starts once it is written.
  Runtime* node = &runtime;
  call.reply(rpc_result(call.id, json::object{{"shutting_down", true}}),
             [node] { node->shutdown(kExitOk, "node_shutdown (admin API)"); });
}

void AdminServer::Impl::plugin_method(const Call& call, bool has_token) {
  auto served = runtime.rpc_methods().find(call.method);
  if (!served) return call.fail(kMethodNotFound, "unknown method '" + call.method + "'");
  if ((served->flags & ALYS_RPC_MUTATING) && !has_token) return call.reply(unauthorized(call), {});
  Bytes payload = encode(RpcCall{call.method, json::serialize(call.params)});
  runtime.external_request(
      served->address, ALYS_TYPE_RPC_CALL, std::move(payload), options.rpc_timeout_ms,
      [call](Result<std::vector<std::uint8_t>> answered) {
        const std::string& method = call.method;
        if (!answered.ok() && answered.status().code() == ALYS_ERR_TIMEOUT)
          return call.fail(kPluginTimeout, "'" + method + "' did not answer in time");
        if (!answered.ok())
          return call.fail(kOperationFailed, "'" + method + "' could not be delivered: " +
                                                 alys::code_name(answered.status().code()));
        try {
          RpcResult result = decode<RpcResult>(*answered);
          if (!result.ok)
            return call.fail(result.error_code != 0 ? result.error_code : kOperationFailed,
                             result.json);
          call.answer(json::parse(result.json));
        } catch (const std::exception& error) {
          call.fail(kInternalError,
                    "'" + method + "' answered with something that is not JSON: " + error.what());
        }
      });
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() {
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->io.stop();
  });
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string AdminServer::bound_address() const {
  auto endpoint = impl_->acceptor.local_endpoint();
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

Result<std::unique_ptr<AdminServer>> AdminServer::start(Runtime& runtime, AdminOptions options) {
  auto impl = std::make_unique<Impl>(runtime, options);
  const std::string& listen = options.listen;
  Result<HostPort> address = parse_host_port(listen, PortZero::allowed);
  if (!address.ok()) return address.status().with_context("admin_listen");
  try {
    tcp::resolver resolver(impl->io);
    auto endpoints = resolver.resolve(address->host, std::to_string(address->port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service);
    tcp::endpoint endpoint = endpoints.begin()->endpoint();
    impl->acceptor.open(endpoint.protocol());
    impl->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl->acceptor.bind(endpoint);
    impl->acceptor.listen();
  } catch (const std::exception& error) {
    return Status::Failed("cannot listen on " + listen + ": " + error.what());
  }
  impl->accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  pthread_setname_np(impl->thread.native_handle(), "alys-admin");
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

}  // namespace alys::host
