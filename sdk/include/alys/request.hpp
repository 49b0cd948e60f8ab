// Asking another actor, and handling the answer where the question was asked:
//
//   request(storage_, storage::GetHead{}, 2000)
//       .then([this](const storage::Head& head) { ... },
//             [this](const alys::Status& error) { ... });
//
// Actor::request (alys/actor.hpp) encodes the message; then() sends it and keeps the two
// continuations until the request is settled. Exactly one of them runs, once:
//   - on_value with the decoded reply, when a reply of the schema on_value takes arrives;
//   - on_error with a failed alys::Status otherwise: ALYS_ERR_TIMEOUT when the deadline passed,
//     ALYS_ERR_TYPE for a reply of another schema, ALYS_ERR_INVALID for one that does not decode,
//     and the host's code (ALYS_ERR_NO_SUCH_ROLE, ALYS_ERR_MAILBOX_FULL, ...) for a request the
//     host refused to send.
// Both run on the actor's turn, like a handler, so they may use the actor's members without
// locking, and what they throw fails the actor as a handler's exception does. Replies and timeouts
// arrive as messages; a refusal is known at once, yet its on_error runs only after the handler (or
// on_start) that made the request returns — never inside then(), where the caller may be halfway
// through a change — and not as a message to oneself, which one's own full mailbox could refuse.
// Continuations still waiting when the instance stops are dropped without being run: an answer
// that comes later reaches the next instance of the role, which knows nothing of it and ignores it.
//
// Header-only and free of static locals, so it is safe inside plugins (no GNU-unique symbols).
#pragma once

#include <charconv>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "alys/abi.h"
#include "alys/codec.hpp"
#include "alys/context.hpp"
#include "alys/status.hpp"

namespace alys {

namespace detail {

// The parameter type, without const and reference, of a callable that takes one parameter (a
// lambda that is not generic, a function pointer): the reply schema a continuation accepts.
template <class F>
struct sole_parameter : sole_parameter<decltype(&std::remove_cvref_t<F>::operator())> {};
template <class R, class A>
struct sole_parameter<R (*)(A)> {
  using type = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct sole_parameter<R (C::*)(A)> {
  using type = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct sole_parameter<R (C::*)(A) const> {
  using type = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct sole_parameter<R (C::*)(A) noexcept> {
  using type = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct sole_parameter<R (C::*)(A) const noexcept> {
  using type = std::remove_cvref_t<A>;
};

inline std::string hex_type_id(std::uint64_t type_id) {
  char digits[16];
  auto end = std::to_chars(digits, digits + sizeof digits, type_id, 16).ptr;
  return "0x" + std::string(digits, end);
}

}  // namespace detail

// How a request was settled: a reply (its type and bytes, valid during the call), or the failure.
struct RequestOutcome {
  Status failure;  // OK when a reply came
  std::uint64_t reply_type_id = 0;
  ByteView payload;
};

// The requests of one actor instance that wait for an answer. Owned by alys::Actor, which feeds it
// the replies and timeouts that reach the actor.
// Thread-safety: none; used on the actor's turn only (handlers, on_start, continuations).
class PendingRequests {
 public:
  using Continuation = std::function<void(const RequestOutcome&)>;

  PendingRequests() = default;
  PendingRequests(const PendingRequests&) = delete;
  PendingRequests& operator=(const PendingRequests&) = delete;

  // Sends the request. `continuation` runs once, later: with the reply, the timeout, or the
  // host's refusal (see run_refused). `request_name` must outlive this object (a schema_name).
  void issue(const Context& context, Address to, std::uint64_t type_id,
             std::string_view request_name, ByteView payload, std::uint64_t timeout_ms,
             Priority priority, Continuation continuation) {
    Result<std::uint64_t> sent = context.request_raw(to, type_id, payload, timeout_ms, priority);
    if (!sent.ok()) {
      refused_.push_back(
          Refused{sent.status().with_context(std::string(request_name) + " was not sent"),
                  std::move(continuation)});
      return;
    }
    waiting_.emplace(*sent, Waiting{std::move(continuation), request_name, timeout_ms});
  }

  // A reply or timeout for `correlation_id`: runs its continuation and returns true, or returns
  // false when no request of this instance waits for it.
  bool settle(alys_message_kind kind, std::uint64_t correlation_id, std::uint64_t type_id,
              ByteView payload) {
    if (kind != ALYS_KIND_REPLY && kind != ALYS_KIND_TIMEOUT) return false;
    auto found = waiting_.find(correlation_id);
    if (found == waiting_.end()) return false;
    // Out of the table before it runs: the continuation may issue requests of its own.
    Waiting waiting = std::move(found->second);
    waiting_.erase(found);
    RequestOutcome outcome;
    if (kind == ALYS_KIND_TIMEOUT) {
      outcome.failure = Status::Timeout("no answer to " + std::string(waiting.request_name) +
                                        " within " + std::to_string(waiting.timeout_ms) + " ms");
    } else {
      outcome.reply_type_id = type_id;
      outcome.payload = payload;
    }
    waiting.continuation(outcome);
    return true;
  }

  // Runs on_error of each request the host refused, oldest first, including refusals that those
  // continuations cause. The actor calls it after each handler and after on_start.
  void run_refused() {
    while (!refused_.empty()) {
      Refused refused = std::move(refused_.front());
      refused_.pop_front();
      refused.continuation(RequestOutcome{std::move(refused.failure), 0, {}});
    }
  }

  // Forgets every continuation without running it (the instance stops).
  void drop_all() {
    waiting_.clear();
    refused_.clear();
  }

  std::size_t waiting() const { return waiting_.size(); }

 private:
  struct Waiting {
    Continuation continuation;
    std::string_view request_name;
    std::uint64_t timeout_ms = 0;
  };
  struct Refused {
    Status failure;
    Continuation continuation;
  };

  std::unordered_map<std::uint64_t, Waiting> waiting_;
  std::deque<Refused> refused_;
};

// What Actor::request returns: the encoded request, sent by then(). Use it at once, in the
// expression that made it (it refers to the actor's table of waiting requests); it is
// [[nodiscard]], so a request without then() does not compile with warnings as errors.
class [[nodiscard]] RequestHandle {
 public:
  RequestHandle(PendingRequests& pending, Context context, Address to, std::uint64_t type_id,
                std::string_view request_name, Bytes payload, std::uint64_t timeout_ms,
                Priority priority)
      : pending_(&pending),
        context_(context),
        to_(to),
        type_id_(type_id),
        request_name_(request_name),
        payload_(std::move(payload)),
        timeout_ms_(timeout_ms),
        priority_(priority) {}
  RequestHandle(const RequestHandle&) = delete;
  RequestHandle& operator=(const RequestHandle&) = delete;

  // Sends the request. on_value(const Reply&) takes the reply schema it expects (a lambda that is
  // not generic); on_error(const alys::Status&) gets every other outcome. See the file comment.
  template <class OnValue, class OnError>
  void then(OnValue on_value, OnError on_error) && {
    using Reply = typename detail::sole_parameter<OnValue>::type;
    static_assert(std::is_invocable_v<OnError&, const Status&>,
                  "on_error must be callable with const alys::Status&");
    pending_->issue(context_, to_, type_id_, request_name_, payload_, timeout_ms_, priority_,
                    [on_value = std::move(on_value), on_error = std::move(on_error),
                     request_name = request_name_](const RequestOutcome& outcome) mutable {
                      Result<Reply> reply = reply_of<Reply>(outcome, request_name);
                      if (reply.ok())
                        on_value(std::move(*reply));
                      else
                        on_error(reply.status());
                    });
  }

 private:
  // The outcome as a Reply, or why it is none.
  template <class Reply>
  static Result<Reply> reply_of(const RequestOutcome& outcome, std::string_view request_name) {
    if (!outcome.failure.ok()) return outcome.failure;
    if (outcome.reply_type_id != type_id_of<Reply>())
      return Status(ALYS_ERR_TYPE, "the reply to " + std::string(request_name) + " is not " +
                                       std::string(Reply::schema_name) + " but type id " +
                                       detail::hex_type_id(outcome.reply_type_id));
    try {
      return decode<Reply>(outcome.payload);
    } catch (const DecodeError& error) {
      return Status(ALYS_ERR_INVALID, "the reply to " + std::string(request_name) +
                                          " does not decode as " + std::string(Reply::schema_name) +
                                          ": " + error.what());
    }
  }

  PendingRequests* pending_;
  Context context_;
  Address to_;
  std::uint64_t type_id_;
  std::string_view request_name_;
  Bytes payload_;
  std::uint64_t timeout_ms_;
  Priority priority_;
};

}  // namespace alys
