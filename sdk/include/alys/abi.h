/*
 * alys/abi.h — the C ABI between the alysd host and its actor plugins. Version 1.2.
 *
 * History: 1.0, the first version. 1.1 appends alys_plugin_on_check_config to the plugin function
 * table (and the alys_config_problem_sink it reports through). 1.2 adds ALYS_DEGRADED as a result
 * of alys_plugin_on_health.
 *
 * This header is the only contract that crosses a shared-library boundary. No C++ type, exception,
 * allocator or std::string crosses it.
 *
 * Naming says who implements what:
 *   - alys_plugin_*  : implemented by the plugin, called by the host.
 *   - alys_host_*    : implemented by the host, called by the plugin (through alys_host_api).
 *
 * Ownership is in the parameter names:
 *   - `host_owned_*`  : memory the host owns; the plugin may read it only during the call.
 *   - `plugin_owned_*`: memory the plugin owns; the host reads it only during the call.
 *   - `*_out`         : a buffer the caller provides and the callee fills.
 *
 * Compatibility promise:
 *   - Minor bump: only appended fields at the end of structs that carry `struct_size`, appended
 *     functions at the end of function tables, new capability bits, new error codes, message
 *     kinds and reserved type ids. A 1.x host loads any plugin with the same major and a minor
 *     <= the host's minor.
 *   - Major bump: anything else. A host refuses a plugin of another major before running its code.
 */
#ifndef ALYS_ABI_H
#define ALYS_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ALYS_ABI_MAJOR 1u
#define ALYS_ABI_MINOR 2u

/* ---------------------------------------------------------------------------------------------
 * Manifest: plain data the host reads from the plugin file's ELF dynamic symbol table before it
 * loads the library, so no code of an incompatible plugin (not even a static constructor) runs.
 * Fixed-size fields only; no pointers (a pointer would need a relocation the file alone can't
 * give). `abi_major` and `abi_minor` are the first two fields in every ABI version, forever.
 * ------------------------------------------------------------------------------------------- */

#define ALYS_MANIFEST_SYMBOL "alys_plugin_manifest"
#define ALYS_FUNCTIONS_SYMBOL "alys_plugin_functions"

#define ALYS_NAME_MAX 32    /* role names, including the terminating NUL */
#define ALYS_TEXT_MAX 64    /* plugin name and version text, including the terminating NUL */
#define ALYS_REQUIRES_MAX 8 /* roles a plugin may require */

/* The plugin serves any role it is configured for (test and utility plugins). */
#define ALYS_ROLE_ANY "*"

enum alys_capability {
  /* Exports snapshot/restore; can be hot-swapped with its state. */
  ALYS_CAP_SWAPPABLE = 1u << 0,
  /* Runs on its own thread instead of the shared worker pool (it blocks: fsync, network I/O). */
  ALYS_CAP_DEDICATED_THREAD = 1u << 1,
  /* Roles that require this one are paused while it is swapped. */
  ALYS_CAP_PAUSE_DEPENDENTS_ON_SWAP = 1u << 2
};

typedef struct alys_manifest {
  uint32_t abi_major;            /* must stay first */
  uint32_t abi_minor;            /* must stay second */
  uint32_t struct_size;          /* sizeof(alys_manifest) as the plugin was built */
  uint32_t state_schema_version; /* version of the bytes snapshot() produces; 0 if not swappable */
  uint32_t capabilities;         /* bitwise OR of alys_capability */
  uint32_t requires_count;       /* number of valid entries in `requires_roles` */
  char role[ALYS_NAME_MAX];      /* role served, or ALYS_ROLE_ANY */
  char name[ALYS_TEXT_MAX];      /* plugin name, e.g. "alys-storage" */
  char version[ALYS_TEXT_MAX];   /* plugin's own version, e.g. "1.4.2" */
  char requires_roles[ALYS_REQUIRES_MAX][ALYS_NAME_MAX]; /* roles that must start before this one */
} alys_manifest;

/* ---------------------------------------------------------------------------------------------
 * Status: errors cross the boundary as a code plus a message in a caller-provided buffer.
 * ------------------------------------------------------------------------------------------- */

typedef enum alys_code {
  ALYS_OK = 0,
  /* Returned by alys_plugin_on_handle: the actor finished its work and terminates normally
   * (transient actors are not restarted after it). */
  ALYS_DONE = 1,
  /* Returned by alys_plugin_on_health (ABI 1.2): the actor runs and answers, but cannot do its
   * work because something outside the node it depends on is unavailable (an execution client
   * that is down, say); status_out->message says what. Not a failure: the host does not restart
   * the actor, and /health shows it `degraded` with the message until a probe answers ALYS_OK.
   * A host older than 1.2 counts it as a failure. */
  ALYS_DEGRADED = 2,
  ALYS_ERR_FAILED = -1,        /* generic failure; the message says what */
  ALYS_ERR_INVALID = -2,       /* bad argument or malformed bytes */
  ALYS_ERR_UNHANDLED = -3,     /* message type not handled: dead-lettered, not a failure */
  ALYS_ERR_MAILBOX_FULL = -4,  /* target mailbox is full and its policy is `reject` */
  ALYS_ERR_NO_SUCH_ROLE = -5,  /* address or role unknown */
  ALYS_ERR_NOT_FOUND = -6,     /* config key, timer or correlation id not found */
  ALYS_ERR_TYPE = -7,          /* config key has another type */
  ALYS_ERR_STOPPED = -8,       /* target actor is stopped for good; message dead-lettered */
  ALYS_ERR_TIMEOUT = -9,       /* a request's deadline passed */
  ALYS_ERR_UNSUPPORTED = -10,  /* operation not offered (e.g. snapshot of a non-swappable plugin) */
  ALYS_ERR_SCHEMA = -11,       /* restore() does not know this state schema version */
  ALYS_ERR_SHUTTING_DOWN = -12 /* the node is stopping */
} alys_code;

#define ALYS_MESSAGE_MAX 512

typedef struct alys_status {
  int32_t code;                   /* alys_code */
  char message[ALYS_MESSAGE_MAX]; /* NUL-terminated, truncated to fit */
} alys_status;

/* ---------------------------------------------------------------------------------------------
 * Messages.
 * ------------------------------------------------------------------------------------------- */

typedef uint32_t alys_address; /* stable id of a role; 0 is the host itself (no role) */

typedef enum alys_priority {
  ALYS_PRIORITY_BACKGROUND = 0,
  ALYS_PRIORITY_NORMAL = 1,
  ALYS_PRIORITY_HIGH = 2,
  ALYS_PRIORITY_CONSENSUS = 3
} alys_priority;

typedef enum alys_message_kind {
  ALYS_KIND_SEND = 0,    /* one-way message */
  ALYS_KIND_REQUEST = 1, /* expects alys_host_reply with the same correlation id */
  ALYS_KIND_REPLY = 2,   /* answer to this actor's request (correlation id = request's) */
  ALYS_KIND_TIMEOUT = 3, /* this actor's request expired; type_id = ALYS_TYPE_TIMEOUT */
  ALYS_KIND_TIMER = 4,   /* a timer fired; type_id and payload as given to timer_start */
  ALYS_KIND_EVENT = 5,   /* a published event on a subscribed topic */
  ALYS_KIND_CONFIG = 6   /* the role's config table changed (SIGHUP); type ALYS_TYPE_CONFIG_CHANGED,
                          * payload: the new table as JSON text. The config getters already return
                          * the new values. Return ALYS_ERR_UNHANDLED to decline: the host then
                          * restarts the actor with the new table. */
} alys_message_kind;

/* Type id of the message delivered when a request times out. FNV-1a 64 of "alys.host.Timeout/1". */
#define ALYS_TYPE_TIMEOUT 0x4e3cb44d49965d91ull
/* FNV-1a 64 of "alys.host.ConfigChanged/1". */
#define ALYS_TYPE_CONFIG_CHANGED 0xfa71d70972935e10ull
/* Admin RPC routed to a plugin (see alys_host_rpc_register): a request of type ALYS_TYPE_RPC_CALL
 * whose payload is the codec encoding of {string method, string params_json}; the plugin replies
 * with type ALYS_TYPE_RPC_RESULT, payload {bool ok, string json} (json: the result, or when !ok an
 * error message). FNV-1a 64 of "alys.host.RpcCall/1" and "alys.host.RpcResult/1". */
#define ALYS_TYPE_RPC_CALL 0xc365d9d1fa2b1e59ull
#define ALYS_TYPE_RPC_RESULT 0xcfac0c994f5339e0ull

typedef struct alys_message {
  uint64_t type_id;        /* FNV-1a 64 of the schema name, e.g. "alys.test.Ping/1" */
  uint64_t correlation_id; /* requests, replies, timeouts; 0 otherwise */
  uint64_t topic_id;       /* events: FNV-1a 64 of the topic name; timers: the timer id */
  alys_address sender;     /* role that sent it; 0 for the host (timers, config, admin calls);
                            * for a timeout: the role that did not answer */
  uint32_t kind;           /* alys_message_kind */
  uint32_t priority;       /* alys_priority */
  uint32_t reserved;
  const uint8_t* host_owned_payload; /* valid only during alys_plugin_on_handle */
  size_t payload_size;
} alys_message;

/* ---------------------------------------------------------------------------------------------
 * Host API: implemented by the host, handed to each plugin instance at create.
 * Every function is thread-safe: the plugin's own threads may call it, between its start and the
 * return of its stop. `ctx` is host-owned and valid from create until destroy returns.
 * ------------------------------------------------------------------------------------------- */

typedef struct alys_host_context alys_host_context;

typedef enum alys_log_level {
  ALYS_LOG_TRACE = 0,
  ALYS_LOG_DEBUG = 1,
  ALYS_LOG_INFO = 2,
  ALYS_LOG_WARN = 3,
  ALYS_LOG_ERROR = 4
} alys_log_level;

/* Receives bytes the host produces (e.g. the config as JSON); called once, during the call. */
typedef void (*alys_bytes_sink)(void* plugin_owned_user, const char* host_owned_data, size_t size);

typedef struct alys_host_api {
  uint32_t struct_size; /* sizeof(alys_host_api) of the host; functions are only appended */
  uint32_t abi_minor;   /* the host's ABI minor */

  /* Resolve a role name to its stable address. ALYS_ERR_NO_SUCH_ROLE if not configured. */
  int32_t (*alys_host_resolve)(alys_host_context* ctx, const char* role, alys_address* address_out);

  /* One-way send. ALYS_ERR_MAILBOX_FULL when the target's mailbox is full under `reject`. */
  int32_t (*alys_host_send)(alys_host_context* ctx, alys_address to, uint64_t type_id,
                            uint32_t priority, const uint8_t* plugin_owned_payload, size_t size);

  /* Request with a deadline. The reply (ALYS_KIND_REPLY) or a timeout (ALYS_KIND_TIMEOUT) arrives
   * as a message with the correlation id written to `correlation_out`. */
  int32_t (*alys_host_request)(alys_host_context* ctx, alys_address to, uint64_t type_id,
                               uint32_t priority, const uint8_t* plugin_owned_payload, size_t size,
                               uint64_t timeout_ms, uint64_t* correlation_out);

  /* Reply to a request this actor received. A reply after the deadline is discarded and counted. */
  int32_t (*alys_host_reply)(alys_host_context* ctx, uint64_t correlation_id, uint64_t type_id,
                             const uint8_t* plugin_owned_payload, size_t size);

  /* Publish an event to every role subscribed to `topic`. */
  int32_t (*alys_host_publish)(alys_host_context* ctx, const char* topic, uint64_t type_id,
                               const uint8_t* plugin_owned_payload, size_t size);

  /* Subscribe this role to `topic`; subscriptions survive restarts of the instance. */
  int32_t (*alys_host_subscribe)(alys_host_context* ctx, const char* topic);

  /* Start a timer: fires after `delay_ms`, then every `period_ms` if non-zero. Delivered as
   * ALYS_KIND_TIMER with the given type id and payload; topic_id = timer id. Timers die with the
   * instance that started them. */
  int32_t (*alys_host_timer_start)(alys_host_context* ctx, uint64_t delay_ms, uint64_t period_ms,
                                   uint64_t type_id, const uint8_t* plugin_owned_payload,
                                   size_t size, uint64_t* timer_out);
  int32_t (*alys_host_timer_cancel)(alys_host_context* ctx, uint64_t timer_id);

  /* Milliseconds of the host clock (virtual in deterministic tests). Use it, not the system clock.
   */
  uint64_t (*alys_host_now_ms)(alys_host_context* ctx);

  /* Log a line tagged with the role and the correlation id of the message being handled. */
  void (*alys_host_log)(alys_host_context* ctx, uint32_t level, const char* plugin_owned_text,
                        size_t size);

  /* Metrics, labelled with the role. Names: [a-z_][a-z0-9_]*, optionally followed by one label
     set of at most two labels, e.g. name{reason="garbage"} (label names [a-z_]+ other than role
     and le, values [a-z0-9_]+). */
  int32_t (*alys_host_counter_add)(alys_host_context* ctx, const char* name, uint64_t delta);
  int32_t (*alys_host_gauge_set)(alys_host_context* ctx, const char* name, double value);
  int32_t (*alys_host_histogram_observe)(alys_host_context* ctx, const char* name, double value);

  /* The role's config table. `key` is a dotted path inside it. ALYS_ERR_NOT_FOUND / ALYS_ERR_TYPE.
   */
  int32_t (*alys_host_config_int)(alys_host_context* ctx, const char* key, int64_t* value_out);
  int32_t (*alys_host_config_double)(alys_host_context* ctx, const char* key, double* value_out);
  int32_t (*alys_host_config_bool)(alys_host_context* ctx, const char* key, int32_t* value_out);
  int32_t (*alys_host_config_string)(alys_host_context* ctx, const char* key, alys_bytes_sink sink,
                                     void* plugin_owned_user);
  /* The whole role table as JSON text. */
  int32_t (*alys_host_config_json)(alys_host_context* ctx, alys_bytes_sink sink,
                                   void* plugin_owned_user);

  /* A plugin's own thread reports a fatal error: the actor is failed and its supervisor acts. */
  void (*alys_host_report_fatal)(alys_host_context* ctx, const char* plugin_owned_text,
                                 size_t size);

  /* Offer a JSON-RPC method on the node's admin API, routed to this role (see ALYS_TYPE_RPC_CALL).
   * Names: [a-z][A-Za-z0-9_]* (Ethereum's eth_getBalance style), at most 64 characters, unique
   * across the node; the host's own methods (node_status, plugin_list, plugin_reload,
   * actor_restart, node_shutdown) are reserved. ALYS_ERR_INVALID for a bad or taken name.
   * Registrations survive restarts and swaps. */
  int32_t (*alys_host_rpc_register)(alys_host_context* ctx, const char* method, uint32_t flags);
} alys_host_api;

enum alys_rpc_flag {
  ALYS_RPC_MUTATING = 1u << 0 /* needs the admin token */
};

/* ---------------------------------------------------------------------------------------------
 * Plugin functions: implemented by the plugin, exported as the data symbol
 * `alys_plugin_functions` (type alys_plugin_function_table). The host looks it up only after the
 * manifest passed the gate. All functions are noexcept at the boundary; errors are codes plus a
 * message in `status_out`. The host never calls two of them concurrently for one instance.
 * ------------------------------------------------------------------------------------------- */

typedef struct alys_instance alys_instance; /* plugin-owned, opaque to the host */

typedef struct alys_snapshot_view {
  const uint8_t* plugin_owned_data; /* valid until the next call on the instance */
  size_t size;
  uint32_t schema_version;
} alys_snapshot_view;

/* Receives one problem alys_plugin_on_check_config found in a role table. `plugin_owned_key` is
 * the dotted path of the offending key inside the role's table (NUL-terminated; "auxpow.chain_id",
 * "members[2]"; "" for the table as a whole). `plugin_owned_problem` says what is wrong, in the
 * same channel every other error uses: its code is ALYS_ERR_TYPE for a value of the wrong type,
 * ALYS_ERR_NOT_FOUND for a missing required key, ALYS_ERR_INVALID for anything else (a value out of
 * range, an unknown key), and its message is a sentence for the operator without the key. Both are
 * valid only during the call. Host code: it does not call back into the plugin. Since 1.1. */
typedef void (*alys_config_problem_sink)(void* host_owned_user, const char* plugin_owned_key,
                                         const alys_status* plugin_owned_problem);

typedef struct alys_plugin_function_table {
  uint32_t struct_size; /* functions are only appended */
  uint32_t reserved;

  /* Create an instance. Must not start threads or send messages yet. */
  alys_instance* (*alys_plugin_on_create)(const alys_host_api* host, alys_host_context* ctx,
                                          alys_status* status_out);
  /* Start: timers, subscriptions, own threads. A failure here is reported and the instance is
   * then stopped (alys_plugin_on_stop) and destroyed. */
  int32_t (*alys_plugin_on_start)(alys_instance* self, alys_status* status_out);
  /* Handle one message. ALYS_OK; ALYS_DONE (normal exit); ALYS_ERR_UNHANDLED or ALYS_ERR_INVALID
   * (the message is dead-lettered with the reason, the actor carries on); any other error: the
   * actor failed, the message goes to dead letters and the supervisor acts. */
  int32_t (*alys_plugin_on_handle)(alys_instance* self, const alys_message* message,
                                   alys_status* status_out);
  /* Swappable plugins: serialize state in the newest schema version <= `target_schema_version`
   * (the incoming plugin's; lets a newer version hand state back to an older one). ALYS_ERR_SCHEMA
   * if it cannot write that old a version; non-swappable plugins return ALYS_ERR_UNSUPPORTED. */
  int32_t (*alys_plugin_on_snapshot)(alys_instance* self, uint32_t target_schema_version,
                                     alys_snapshot_view* snapshot_out, alys_status* status_out);
  /* Called after create, before start, with a snapshot of this or an older schema version. */
  int32_t (*alys_plugin_on_restore)(alys_instance* self, const uint8_t* host_owned_data,
                                    size_t size, uint32_t schema_version, alys_status* status_out);
  /* Stop: cancel work and join every thread this instance started. Called once, even after a
   * failed start. After it returns the plugin must not call the host API from any thread. */
  int32_t (*alys_plugin_on_stop)(alys_instance* self, alys_status* status_out);
  /* Free the instance. */
  void (*alys_plugin_on_destroy)(alys_instance* self);
  /* Health probe, called on the actor's own turn. ALYS_OK: healthy; ALYS_DEGRADED (1.2): running
   * but unable to do its work, with the reason in status_out (not a failure); anything else
   * counts as a failure. */
  int32_t (*alys_plugin_on_health)(alys_instance* self, alys_status* status_out);

  /* --- appended in 1.1: present only when struct_size >= offsetof(..., this) + sizeof(void*) ---
   */

  /* Check a role table without starting anything: the host asks before it applies a table
   * (alysd --check-config, SIGHUP). `host_owned_table_json` (`size` bytes, not NUL-terminated) is
   * the role's table as JSON, exactly what alys_host_config_json would give an instance configured
   * with it (including the host's `host.data_dir` and `host.config_dir`). The plugin reports every
   * problem it finds, each by one call of `sink(host_owned_user, key, problem)` during this call,
   * and returns:
   *   ALYS_OK              the table is accepted (no problem reported);
   *   ALYS_ERR_INVALID     the table is refused: one or more problems were reported;
   *   ALYS_ERR_UNSUPPORTED the plugin does not check its tables (nothing reported): the host warns
   *                        that the table is unchecked and goes on;
   *   any other code       the check itself failed (status_out says why): the host refuses the
   *                        table.
   * Accepted means "a start with this table will not fail because of the table": a plugin checks
   * with the same parser its start uses. It is not a promise about the world (files, peers).
   * Threads: any host thread, concurrently with the role's instances and with other checks. It
   * must not call the host API (it has no ctx), keep state between calls, or change anything
   * outside itself (no file written, no thread left running); no instance is created for it.
   * NULL is read as ALYS_ERR_UNSUPPORTED. */
  int32_t (*alys_plugin_on_check_config)(const char* host_owned_table_json, size_t size,
                                         alys_config_problem_sink sink, void* host_owned_user,
                                         alys_status* status_out);
} alys_plugin_function_table;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ALYS_ABI_H */
