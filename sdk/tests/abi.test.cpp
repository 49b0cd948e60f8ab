// The ABI pin. Every number below was computed from alys/abi.h as it is (x86_64, LP64) and is
// written as a literal on purpose: a change that moves, resizes or reorders anything fails the
// build here.
//
// If an assertion here fails, you changed the C ABI. That is an ABI BREAK — bump ALYS_ABI_MAJOR —
// unless the change only APPENDS a field at the end of a struct that carries `struct_size`, or a
// function at the end of a function table (a minor bump: update the size below, add the new
// offset, and bump ALYS_ABI_MINOR). Never edit an existing offset to make this test pass.
#include "alys/abi.h"

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "alys/type_id.hpp"

// ------------------------------------------------------------------------------------------------
// Version

static_assert(ALYS_ABI_MAJOR == 1, "ABI major changed: every existing plugin is refused");
static_assert(ALYS_ABI_MINOR == 2, "ABI minor changed: update the pinned layout below");

// ------------------------------------------------------------------------------------------------
// Constants that size the structs or travel across the boundary.

static_assert(ALYS_NAME_MAX == 32);
static_assert(ALYS_TEXT_MAX == 64);
static_assert(ALYS_REQUIRES_MAX == 8);
static_assert(ALYS_MESSAGE_MAX == 512);
static_assert(sizeof(alys_address) == 4);
static_assert(std::is_unsigned_v<alys_address>);

static_assert(ALYS_CAP_SWAPPABLE == 1);
static_assert(ALYS_CAP_DEDICATED_THREAD == 2);
static_assert(ALYS_CAP_PAUSE_DEPENDENTS_ON_SWAP == 4);

static_assert(ALYS_OK == 0);
static_assert(ALYS_DONE == 1);
static_assert(ALYS_DEGRADED == 2);  // 1.2: a health result
static_assert(ALYS_ERR_FAILED == -1);
static_assert(ALYS_ERR_INVALID == -2);
static_assert(ALYS_ERR_UNHANDLED == -3);
static_assert(ALYS_ERR_MAILBOX_FULL == -4);
static_assert(ALYS_ERR_NO_SUCH_ROLE == -5);
static_assert(ALYS_ERR_NOT_FOUND == -6);
static_assert(ALYS_ERR_TYPE == -7);
static_assert(ALYS_ERR_STOPPED == -8);
static_assert(ALYS_ERR_TIMEOUT == -9);
static_assert(ALYS_ERR_UNSUPPORTED == -10);
static_assert(ALYS_ERR_SCHEMA == -11);
static_assert(ALYS_ERR_SHUTTING_DOWN == -12);

static_assert(ALYS_PRIORITY_BACKGROUND == 0);
static_assert(ALYS_PRIORITY_NORMAL == 1);
static_assert(ALYS_PRIORITY_HIGH == 2);
static_assert(ALYS_PRIORITY_CONSENSUS == 3);

static_assert(ALYS_KIND_SEND == 0);
static_assert(ALYS_KIND_REQUEST == 1);
static_assert(ALYS_KIND_REPLY == 2);
static_assert(ALYS_KIND_TIMEOUT == 3);
static_assert(ALYS_KIND_TIMER == 4);
static_assert(ALYS_KIND_EVENT == 5);
static_assert(ALYS_KIND_CONFIG == 6);

static_assert(ALYS_LOG_TRACE == 0);
static_assert(ALYS_LOG_DEBUG == 1);
static_assert(ALYS_LOG_INFO == 2);
static_assert(ALYS_LOG_WARN == 3);
static_assert(ALYS_LOG_ERROR == 4);

static_assert(ALYS_TYPE_TIMEOUT == 0x4e3cb44d49965d91ull);
static_assert(ALYS_TYPE_TIMEOUT == alys::fnv1a64("alys.host.Timeout/1"));
static_assert(ALYS_TYPE_CONFIG_CHANGED == alys::fnv1a64("alys.host.ConfigChanged/1"));
static_assert(ALYS_TYPE_RPC_CALL == alys::fnv1a64("alys.host.RpcCall/1"));
static_assert(ALYS_TYPE_RPC_RESULT == alys::fnv1a64("alys.host.RpcResult/1"));
static_assert(ALYS_RPC_MUTATING == 1);

// ------------------------------------------------------------------------------------------------
// Plain C data: no constructors, no virtuals, standard layout, so both sides agree on the bytes.

static_assert(std::is_standard_layout_v<alys_manifest> && std::is_trivial_v<alys_manifest>);
static_assert(std::is_standard_layout_v<alys_status> && std::is_trivial_v<alys_status>);
static_assert(std::is_standard_layout_v<alys_message> && std::is_trivial_v<alys_message>);
static_assert(std::is_standard_layout_v<alys_snapshot_view> &&
              std::is_trivial_v<alys_snapshot_view>);
static_assert(std::is_standard_layout_v<alys_host_api> && std::is_trivial_v<alys_host_api>);
static_assert(std::is_standard_layout_v<alys_plugin_function_table> &&
              std::is_trivial_v<alys_plugin_function_table>);

// ------------------------------------------------------------------------------------------------
// alys_manifest — read from the plugin file before any of its code runs. abi_major and abi_minor
// stay the first two fields in every version, forever.

static_assert(sizeof(alys_manifest) == 440);
static_assert(alignof(alys_manifest) == 4);
static_assert(offsetof(alys_manifest, abi_major) == 0);
static_assert(offsetof(alys_manifest, abi_minor) == 4);
static_assert(offsetof(alys_manifest, struct_size) == 8);
static_assert(offsetof(alys_manifest, state_schema_version) == 12);
static_assert(offsetof(alys_manifest, capabilities) == 16);
static_assert(offsetof(alys_manifest, requires_count) == 20);
static_assert(offsetof(alys_manifest, role) == 24);
static_assert(offsetof(alys_manifest, name) == 56);
static_assert(offsetof(alys_manifest, version) == 120);
static_assert(offsetof(alys_manifest, requires_roles) == 184);
static_assert(sizeof(alys_manifest::role) == 32);
static_assert(sizeof(alys_manifest::name) == 64);
static_assert(sizeof(alys_manifest::version) == 64);
static_assert(sizeof(alys_manifest::requires_roles) == 256);

// ------------------------------------------------------------------------------------------------
// alys_status

static_assert(sizeof(alys_status) == 516);
static_assert(alignof(alys_status) == 4);
static_assert(offsetof(alys_status, code) == 0);
static_assert(offsetof(alys_status, message) == 4);
static_assert(sizeof(alys_status::code) == 4);
static_assert(sizeof(alys_status::message) == 512);

// ------------------------------------------------------------------------------------------------
// alys_message

static_assert(sizeof(alys_message) == 56);
static_assert(alignof(alys_message) == 8);
static_assert(offsetof(alys_message, type_id) == 0);
static_assert(offsetof(alys_message, correlation_id) == 8);
static_assert(offsetof(alys_message, topic_id) == 16);
static_assert(offsetof(alys_message, sender) == 24);
static_assert(offsetof(alys_message, kind) == 28);
static_assert(offsetof(alys_message, priority) == 32);
static_assert(offsetof(alys_message, reserved) == 36);
static_assert(offsetof(alys_message, host_owned_payload) == 40);
static_assert(offsetof(alys_message, payload_size) == 48);

// ------------------------------------------------------------------------------------------------
// alys_snapshot_view

static_assert(sizeof(alys_snapshot_view) == 24);
static_assert(alignof(alys_snapshot_view) == 8);
static_assert(offsetof(alys_snapshot_view, plugin_owned_data) == 0);
static_assert(offsetof(alys_snapshot_view, size) == 8);
static_assert(offsetof(alys_snapshot_view, schema_version) == 16);

// ------------------------------------------------------------------------------------------------
// alys_host_api — functions only appended (then update the size and add the new offset).

static_assert(sizeof(alys_host_api) == 168);
static_assert(alignof(alys_host_api) == 8);
static_assert(offsetof(alys_host_api, struct_size) == 0);
static_assert(offsetof(alys_host_api, abi_minor) == 4);
static_assert(offsetof(alys_host_api, alys_host_resolve) == 8);
static_assert(offsetof(alys_host_api, alys_host_send) == 16);
static_assert(offsetof(alys_host_api, alys_host_request) == 24);
static_assert(offsetof(alys_host_api, alys_host_reply) == 32);
static_assert(offsetof(alys_host_api, alys_host_publish) == 40);
static_assert(offsetof(alys_host_api, alys_host_subscribe) == 48);
static_assert(offsetof(alys_host_api, alys_host_timer_start) == 56);
static_assert(offsetof(alys_host_api, alys_host_timer_cancel) == 64);
static_assert(offsetof(alys_host_api, alys_host_now_ms) == 72);
static_assert(offsetof(alys_host_api, alys_host_log) == 80);
static_assert(offsetof(alys_host_api, alys_host_counter_add) == 88);
static_assert(offsetof(alys_host_api, alys_host_gauge_set) == 96);
static_assert(offsetof(alys_host_api, alys_host_histogram_observe) == 104);
static_assert(offsetof(alys_host_api, alys_host_config_int) == 112);
static_assert(offsetof(alys_host_api, alys_host_config_double) == 120);
static_assert(offsetof(alys_host_api, alys_host_config_bool) == 128);
static_assert(offsetof(alys_host_api, alys_host_config_string) == 136);
static_assert(offsetof(alys_host_api, alys_host_config_json) == 144);
static_assert(offsetof(alys_host_api, alys_host_report_fatal) == 152);
static_assert(offsetof(alys_host_api, alys_host_rpc_register) == 160);

// The signatures are part of the ABI too.
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_resolve),
                             int32_t (*)(alys_host_context*, const char*, alys_address*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_send),
                             int32_t (*)(alys_host_context*, alys_address, uint64_t, uint32_t,
                                         const uint8_t*, size_t)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_request),
                             int32_t (*)(alys_host_context*, alys_address, uint64_t, uint32_t,
                                         const uint8_t*, size_t, uint64_t, uint64_t*)>);
static_assert(
    std::is_same_v<decltype(alys_host_api::alys_host_reply),
                   int32_t (*)(alys_host_context*, uint64_t, uint64_t, const uint8_t*, size_t)>);
static_assert(
    std::is_same_v<decltype(alys_host_api::alys_host_publish),
                   int32_t (*)(alys_host_context*, const char*, uint64_t, const uint8_t*, size_t)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_subscribe),
                             int32_t (*)(alys_host_context*, const char*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_timer_start),
                             int32_t (*)(alys_host_context*, uint64_t, uint64_t, uint64_t,
                                         const uint8_t*, size_t, uint64_t*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_timer_cancel),
                             int32_t (*)(alys_host_context*, uint64_t)>);
static_assert(
    std::is_same_v<decltype(alys_host_api::alys_host_now_ms), uint64_t (*)(alys_host_context*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_log),
                             void (*)(alys_host_context*, uint32_t, const char*, size_t)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_counter_add),
                             int32_t (*)(alys_host_context*, const char*, uint64_t)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_gauge_set),
                             int32_t (*)(alys_host_context*, const char*, double)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_histogram_observe),
                             int32_t (*)(alys_host_context*, const char*, double)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_config_int),
                             int32_t (*)(alys_host_context*, const char*, int64_t*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_config_double),
                             int32_t (*)(alys_host_context*, const char*, double*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_config_bool),
                             int32_t (*)(alys_host_context*, const char*, int32_t*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_config_string),
                             int32_t (*)(alys_host_context*, const char*, alys_bytes_sink, void*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_config_json),
                             int32_t (*)(alys_host_context*, alys_bytes_sink, void*)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_report_fatal),
                             void (*)(alys_host_context*, const char*, size_t)>);
static_assert(std::is_same_v<decltype(alys_host_api::alys_host_rpc_register),
                             int32_t (*)(alys_host_context*, const char*, uint32_t)>);
static_assert(std::is_same_v<alys_bytes_sink, void (*)(void*, const char*, size_t)>);

// ------------------------------------------------------------------------------------------------
// alys_plugin_function_table — functions only appended.

// 72 bytes in 1.0; 1.1 appended alys_plugin_on_check_config.
static_assert(sizeof(alys_plugin_function_table) == 80);
static_assert(alignof(alys_plugin_function_table) == 8);
static_assert(offsetof(alys_plugin_function_table, struct_size) == 0);
static_assert(offsetof(alys_plugin_function_table, reserved) == 4);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_create) == 8);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_start) == 16);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_handle) == 24);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_snapshot) == 32);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_restore) == 40);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_stop) == 48);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_destroy) == 56);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_health) == 64);
static_assert(offsetof(alys_plugin_function_table, alys_plugin_on_check_config) == 72);  // 1.1

static_assert(
    std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_create),
                   alys_instance* (*)(const alys_host_api*, alys_host_context*, alys_status*)>);
static_assert(std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_start),
                             int32_t (*)(alys_instance*, alys_status*)>);
static_assert(std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_handle),
                             int32_t (*)(alys_instance*, const alys_message*, alys_status*)>);
static_assert(
    std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_snapshot),
                   int32_t (*)(alys_instance*, uint32_t, alys_snapshot_view*, alys_status*)>);
static_assert(
    std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_restore),
                   int32_t (*)(alys_instance*, const uint8_t*, size_t, uint32_t, alys_status*)>);
static_assert(std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_stop),
                             int32_t (*)(alys_instance*, alys_status*)>);
static_assert(std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_destroy),
                             void (*)(alys_instance*)>);
static_assert(std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_health),
                             int32_t (*)(alys_instance*, alys_status*)>);
static_assert(std::is_same_v<decltype(alys_plugin_function_table::alys_plugin_on_check_config),
                             int32_t (*)(const char*, size_t, alys_config_problem_sink, void*,
                                         alys_status*)>);
static_assert(
    std::is_same_v<alys_config_problem_sink, void (*)(void*, const char*, const alys_status*)>);

// ------------------------------------------------------------------------------------------------
// The same numbers at run time, so a test run lists them too.

TEST_CASE("ABI version is 1.2", "[abi]") {
  CHECK(ALYS_ABI_MAJOR == 1u);
  CHECK(ALYS_ABI_MINOR == 2u);
}

TEST_CASE("symbol names are pinned", "[abi]") {
  CHECK(std::string(ALYS_MANIFEST_SYMBOL) == "alys_plugin_manifest");
  CHECK(std::string(ALYS_FUNCTIONS_SYMBOL) == "alys_plugin_functions");
  CHECK(std::string(ALYS_ROLE_ANY) == "*");
}

TEST_CASE("ALYS_TYPE_TIMEOUT is the type id of alys.host.Timeout/1", "[abi]") {
  std::string name = "alys.host.Timeout/1";
  CHECK(ALYS_TYPE_TIMEOUT == alys::fnv1a64(name));
  CHECK(ALYS_TYPE_TIMEOUT == alys::type_id(name));
  CHECK(ALYS_TYPE_TIMEOUT == 0x4e3cb44d49965d91ull);
}

TEST_CASE("alys_manifest layout", "[abi]") {
  CHECK(sizeof(alys_manifest) == 440);
  CHECK(offsetof(alys_manifest, abi_major) == 0);
  CHECK(offsetof(alys_manifest, abi_minor) == 4);
  CHECK(offsetof(alys_manifest, struct_size) == 8);
  CHECK(offsetof(alys_manifest, state_schema_version) == 12);
  CHECK(offsetof(alys_manifest, capabilities) == 16);
  CHECK(offsetof(alys_manifest, requires_count) == 20);
  CHECK(offsetof(alys_manifest, role) == 24);
  CHECK(offsetof(alys_manifest, name) == 56);
  CHECK(offsetof(alys_manifest, version) == 120);
  CHECK(offsetof(alys_manifest, requires_roles) == 184);
}

TEST_CASE("alys_status layout", "[abi]") {
  CHECK(sizeof(alys_status) == 516);
  CHECK(offsetof(alys_status, code) == 0);
  CHECK(offsetof(alys_status, message) == 4);
}

TEST_CASE("alys_message layout", "[abi]") {
  CHECK(sizeof(alys_message) == 56);
  CHECK(offsetof(alys_message, type_id) == 0);
  CHECK(offsetof(alys_message, correlation_id) == 8);
  CHECK(offsetof(alys_message, topic_id) == 16);
  CHECK(offsetof(alys_message, sender) == 24);
  CHECK(offsetof(alys_message, kind) == 28);
  CHECK(offsetof(alys_message, priority) == 32);
  CHECK(offsetof(alys_message, reserved) == 36);
  CHECK(offsetof(alys_message, host_owned_payload) == 40);
  CHECK(offsetof(alys_message, payload_size) == 48);
}

TEST_CASE("alys_snapshot_view layout", "[abi]") {
  CHECK(sizeof(alys_snapshot_view) == 24);
  CHECK(offsetof(alys_snapshot_view, plugin_owned_data) == 0);
  CHECK(offsetof(alys_snapshot_view, size) == 8);
  CHECK(offsetof(alys_snapshot_view, schema_version) == 16);
}

TEST_CASE("alys_host_api layout", "[abi]") {
  CHECK(sizeof(alys_host_api) == 168);
  CHECK(offsetof(alys_host_api, struct_size) == 0);
  CHECK(offsetof(alys_host_api, abi_minor) == 4);
  CHECK(offsetof(alys_host_api, alys_host_resolve) == 8);
  CHECK(offsetof(alys_host_api, alys_host_send) == 16);
  CHECK(offsetof(alys_host_api, alys_host_request) == 24);
  CHECK(offsetof(alys_host_api, alys_host_reply) == 32);
  CHECK(offsetof(alys_host_api, alys_host_publish) == 40);
  CHECK(offsetof(alys_host_api, alys_host_subscribe) == 48);
  CHECK(offsetof(alys_host_api, alys_host_timer_start) == 56);
  CHECK(offsetof(alys_host_api, alys_host_timer_cancel) == 64);
  CHECK(offsetof(alys_host_api, alys_host_now_ms) == 72);
  CHECK(offsetof(alys_host_api, alys_host_log) == 80);
  CHECK(offsetof(alys_host_api, alys_host_counter_add) == 88);
  CHECK(offsetof(alys_host_api, alys_host_gauge_set) == 96);
  CHECK(offsetof(alys_host_api, alys_host_histogram_observe) == 104);
  CHECK(offsetof(alys_host_api, alys_host_config_int) == 112);
  CHECK(offsetof(alys_host_api, alys_host_config_double) == 120);
  CHECK(offsetof(alys_host_api, alys_host_config_bool) == 128);
  CHECK(offsetof(alys_host_api, alys_host_config_string) == 136);
  CHECK(offsetof(alys_host_api, alys_host_config_json) == 144);
  CHECK(offsetof(alys_host_api, alys_host_report_fatal) == 152);
  CHECK(offsetof(alys_host_api, alys_host_rpc_register) == 160);
}

TEST_CASE("alys_plugin_function_table layout", "[abi]") {
  CHECK(sizeof(alys_plugin_function_table) == 80);
  CHECK(offsetof(alys_plugin_function_table, struct_size) == 0);
  CHECK(offsetof(alys_plugin_function_table, reserved) == 4);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_create) == 8);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_start) == 16);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_handle) == 24);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_snapshot) == 32);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_restore) == 40);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_stop) == 48);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_destroy) == 56);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_health) == 64);
  CHECK(offsetof(alys_plugin_function_table, alys_plugin_on_check_config) == 72);
}
