/*
 * sandtrap.h — the C SDK for sandtrap detectors: a thin layer over the
 * bindings that `wit-bindgen c` generates from wit/ (bindings/detector.h),
 * so that a detector reads like its rule rather than like the canonical ABI.
 *
 * A detector defines four functions and links with sandtrap.c, which
 * implements the component's exports on top of them:
 *
 *     void detector_describe(st_desc *d);
 *     bool detector_init(const st_config *config, st_error *err);
 *     bool detector_on_event(const st_event *ev, st_detections *out, st_error *err);
 *     void detector_close(void);                      (optional)
 *
 * Memory ownership — the rules every function below follows:
 *
 *  1. Borrowed from the host: the event (and everything reachable from it)
 *     and the configuration are owned by sandtrap.c, which frees them after
 *     your function returns. Read them freely, never free them, and copy
 *     what you want to keep past the call (st_str_dup, st_config_list).
 *  2. Event strings are NOT NUL-terminated. An event is a view over its
 *     bytes in the batch the host passed in, and st_event_name, st_event_comm,
 *     st_arg_str, st_list_get … return st_string views {ptr, len} pointing
 *     into that batch: the next byte is whatever the encoding put there.
 *     Use them through their length: compare with st_str_eq,
 *     st_str_has_prefix/_suffix, st_str_contains, st_str_eq_str,
 *     st_strlist_contains_str; print with
 *     `printf(ST_STR_FMT, ST_STR_ARG(s))`; put them in a detection with
 *     st_field_string; and when you need a C string (a store call, a libc
 *     function), take a malloc'd copy with st_str_dup(&s) and free() it.
 *     Never pass an event string to st_cstr or cast its ptr to char *.
 *  3. Every other string the host hands over (configuration, store results)
 *     and every string this SDK makes is NUL-terminated: st_cstr() gives a
 *     `const char *` without copying. (sandtrap.c's allocator reserves the
 *     extra byte; see cabi_realloc.) Such strings also carry their length;
 *     one with an embedded NUL byte reads short through st_cstr.
 *  4. Results of store calls (st_get_*, st_list_*, st_resolve_*) belong to
 *     you: release each with the st_*_free function named next to it. They
 *     are only written when the call returns true.
 *  5. Whatever you put into a description or detection is copied (strings)
 *     or moved (st_strlist passed to st_field_strlist); sandtrap.c hands it
 *     to the host, which frees it after reading it. You never free it.
 *  6. Store errors (st_store_error) own no memory.
 *
 * Nothing here traps on bad input: absent arguments, arguments of another
 * type, malformed event bytes and failed store calls are reported through
 * return values (a malformed event field reads as 0, "" or absent). Running
 * out of memory traps (the host reports a fault and restarts the detector),
 * as it does in Rust guests.
 */
#ifndef SANDTRAP_H
#define SANDTRAP_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h> /* free(), for the malloc'd results of st_strdup, st_format … */

#include "bindings/detector.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_CONTRACT_VERSION "0.2.0"

#define ST_PRINTF(fmt, args) __attribute__((__format__(__printf__, fmt, args)))

/* ---------------------------------------------------------------- types */

typedef detector_string_t st_string;
/* A list of strings. Lists you build start as `st_strlist l = {0};`. */
typedef detector_list_string_t st_strlist;
typedef sandtrap_detector_types_value_t st_value;
typedef sandtrap_detector_types_field_t st_field;
/* A view over one event of the batch; accessors under "events" below. */
typedef struct st_event st_event;
typedef detector_list_tuple2_string_string_t st_config;

typedef sandtrap_detector_types_process_info_t st_process;
typedef sandtrap_detector_processes_list_process_info_t st_process_list;
typedef sandtrap_detector_types_container_info_t st_container;
typedef sandtrap_detector_containers_list_container_info_t st_container_list;
typedef sandtrap_detector_types_dns_response_t st_dns_response;
typedef sandtrap_detector_types_system_info_t st_system_info;
typedef sandtrap_detector_kernel_symbols_list_symbol_info_t st_symbol_list;
typedef sandtrap_detector_kernel_symbols_list_resolved_symbols_t st_resolved_list;
typedef sandtrap_detector_types_store_metadata_t st_store_metadata;
typedef sandtrap_detector_types_health_info_t st_health_info;
typedef sandtrap_detector_types_store_metrics_t st_store_metrics;
typedef sandtrap_detector_ip_reputation_reputation_t st_reputation;
typedef sandtrap_detector_ip_reputation_own_reader_t st_reputation_reader;
typedef sandtrap_detector_ip_reputation_own_writer_t st_reputation_writer;

typedef exports_sandtrap_detector_guest_description_t st_desc;
typedef exports_sandtrap_detector_guest_detection_t st_detection;
/* The detections of one event; sandtrap.c owns the list (see st_detect). */
typedef struct st_detections {
    st_detection *ptr;
    size_t len;
} st_detections;

typedef exports_sandtrap_detector_guest_severity_t st_severity;
#define ST_INFO EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_INFO
#define ST_LOW EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_LOW
#define ST_MEDIUM EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_MEDIUM
#define ST_HIGH EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_HIGH
#define ST_CRITICAL EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_CRITICAL

typedef exports_sandtrap_detector_guest_filter_op_t st_filter_op;
#define ST_EQUAL EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_EQUAL
#define ST_NOT_EQUAL EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_NOT_EQUAL
#define ST_PREFIX EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_PREFIX
#define ST_SUFFIX EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_SUFFIX
#define ST_CONTAINS EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_CONTAINS

/* st_value.tag, and st_arg_view.kind: the encoding numbers argument kinds
 * the same way the contract's `value` variant does. */
#define ST_VALUE_STR SANDTRAP_DETECTOR_TYPES_VALUE_STR
#define ST_VALUE_INT SANDTRAP_DETECTOR_TYPES_VALUE_INT
#define ST_VALUE_UINT SANDTRAP_DETECTOR_TYPES_VALUE_UINT
#define ST_VALUE_BOOL SANDTRAP_DETECTOR_TYPES_VALUE_BOOLEAN
#define ST_VALUE_BYTES SANDTRAP_DETECTOR_TYPES_VALUE_BYTES
#define ST_VALUE_STR_LIST SANDTRAP_DETECTOR_TYPES_VALUE_STR_LIST

typedef sandtrap_detector_host_log_level_t st_log_level;
#define ST_LOG_TRACE SANDTRAP_DETECTOR_HOST_LOG_LEVEL_TRACE
#define ST_LOG_DEBUG SANDTRAP_DETECTOR_HOST_LOG_LEVEL_DEBUG
#define ST_LOG_INFO SANDTRAP_DETECTOR_HOST_LOG_LEVEL_INFO
#define ST_LOG_WARN SANDTRAP_DETECTOR_HOST_LOG_LEVEL_WARN
#define ST_LOG_ERROR SANDTRAP_DETECTOR_HOST_LOG_LEVEL_ERROR

/* The message of a failed init / on_event, handed to the host. */
typedef struct st_error {
    st_string message;
} st_error;

/* ------------------------------------------------- what a detector defines */

/* Fills the description (zeroed, default severity medium). Called before
 * init and by `sandtrap inspect`; must not depend on configuration. */
void detector_describe(st_desc *d);
/* Reads the configuration. Returning false (use st_fail) refuses the load. */
bool detector_init(const st_config *config, st_error *err);
/* One event a selector matched: append detections to `out` with st_detect.
 * Called once per event of each batch, in stream order. Returning false
 * (use st_fail) reports an error for this event only, which the host counts
 * and logs (not a fault); detections appended before the failure are
 * discarded, and the other events of the batch are unaffected. */
bool detector_on_event(const st_event *ev, st_detections *out, st_error *err);
/* Called once before the instance is dropped. Optional (a weak default
 * does nothing). */
void detector_close(void);

/* Sets the error message and returns false: `return st_fail(err, "...");` */
bool st_fail(st_error *err, const char *fmt, ...) ST_PRINTF(2, 3);

/* -------------------------------------------------------------- strings */

/* A NUL-terminated view of a string the host allocated (configuration,
 * store results) or this SDK made; "" when empty. Valid as long as the
 * string is. NOT for event strings, which are views into the batch with no
 * terminator (ownership rule 2): use st_str_dup for those. */
const char *st_cstr(const st_string *s);
/* Length-aware comparisons: they work on any st_string, event views
 * included. NULL arguments compare false. */
bool st_str_eq(const st_string *s, const char *text);
bool st_str_eq_str(const st_string *a, const st_string *b);
bool st_str_has_prefix(const st_string *s, const char *prefix);
bool st_str_has_suffix(const st_string *s, const char *suffix);
bool st_str_contains(const st_string *s, const char *needle);
/* A malloc'd NUL-terminated copy of any st_string (free() it); "" for NULL
 * or empty. The way to turn an event string into a C string. */
char *st_str_dup(const st_string *s);
/* printf(ST_STR_FMT, ST_STR_ARG(s)) prints an st_string (`s` is an lvalue,
 * evaluated twice) without needing a terminator. */
#define ST_STR_FMT "%.*s"
#define ST_STR_ARG(s) ((s).len > INT_MAX ? INT_MAX : (int)(s).len), (const char *)(s).ptr
/* A malloc'd copy (free() it); NULL in gives "". */
char *st_strdup(const char *s);
/* A malloc'd formatted string (free() it). */
char *st_format(const char *fmt, ...) ST_PRINTF(1, 2);

/* Lists you own: start from {0}; pushing copies. */
void st_strlist_push(st_strlist *list, const char *s);
void st_strlist_pushn(st_strlist *list, const char *s, size_t len);
void st_strlist_push_str(st_strlist *list, const st_string *s);
void st_strlist_pushf(st_strlist *list, const char *fmt, ...) ST_PRINTF(2, 3);
/* Element i as a C string, NULL past the end. */
const char *st_strlist_get(const st_strlist *list, size_t i);
bool st_strlist_contains(const st_strlist *list, const char *s);
/* The same with a length-aware needle, e.g. an event string. */
bool st_strlist_contains_str(const st_strlist *list, const st_string *s);
/* Frees the elements and the list, and leaves it empty ({0}). */
void st_strlist_free(st_strlist *list);

/* --------------------------------------------------------------- events */

/*
 * An event is a view over its bytes inside the batch the host passed in
 * (docs/event-encoding.md); it owns nothing and is valid until
 * detector_on_event returns. Each accessor reads its field when called, so
 * a field the detector never asks for costs nothing, and none of them can
 * fail: a malformed field reads as 0, as "" or as an absent argument.
 * Strings are views, not NUL-terminated (ownership rule 2).
 */
struct st_event {
    const uint8_t *bytes;
    size_t len;
};

/* Tracee-style name: "sched_process_exec", "openat", … */
st_string st_event_name(const st_event *ev);
bool st_event_is(const st_event *ev, const char *name);
/* Position in the host's event stream; ns since the Unix epoch. */
uint64_t st_event_seq(const st_event *ev);
uint64_t st_event_timestamp(const st_event *ev);

/* The process the event came from. The entity id, not the pid, is its
 * identity in the stores (pids are reused). */
uint64_t st_event_entity_id(const st_event *ev);
uint64_t st_event_parent_entity_id(const st_event *ev);
/* Process start in clock ticks since boot; the cgroup v2 id. */
uint64_t st_event_start_ticks(const st_event *ev);
uint64_t st_event_cgroup_id(const st_event *ev);
uint32_t st_event_pid(const st_event *ev);
uint32_t st_event_tid(const st_event *ev);
uint32_t st_event_ppid(const st_event *ev);
uint32_t st_event_uid(const st_event *ev);
uint32_t st_event_gid(const st_event *ev);
/* The task's command name (at most 15 bytes), its executable path ("" when
 * unknown), its container id ("" outside containers). */
st_string st_event_comm(const st_event *ev);
st_string st_event_exe(const st_event *ev);
st_string st_event_container_id(const st_event *ev);

/* A string-list argument such as argv, read in place. */
typedef struct st_list {
    const uint8_t *event; /* the event's bytes */
    size_t event_len;
    size_t table; /* offset of the (offset, length) entries in the event */
    size_t count;
} st_list;

size_t st_list_len(const st_list *list);
/* Element i (a view); false past the end. A malformed element reads as "". */
bool st_list_get(const st_list *list, size_t i, st_string *out);
bool st_list_contains(const st_list *list, const char *s);
/* Appends copies of the elements to `out` (owned: st_strlist_free it, or
 * move it into a detection with st_field_strlist). */
void st_list_copy(const st_list *list, st_strlist *out);

/* One argument: its name and its value, by kind (ST_VALUE_*). */
typedef struct st_arg_view {
    st_string name;
    uint8_t kind;
    union {
        st_string str;
        int64_t int_;
        uint64_t uint;
        bool boolean;
        struct {
            const uint8_t *ptr;
            size_t len;
        } bytes;
        st_list str_list;
    } val;
} st_arg_view;

/* Argument `name` (the first one when the name is repeated, as the host
 * does); false when absent or malformed. */
bool st_arg(const st_event *ev, const char *name, st_arg_view *out);
/* The arguments in the producer's order: st_arg_at(ev, i, &a) for i below
 * st_arg_count(ev); false for a malformed entry, which is to be skipped. */
size_t st_arg_count(const st_event *ev);
bool st_arg_at(const st_event *ev, size_t i, st_arg_view *out);
/* A string argument (a view); false when absent or not a string. */
bool st_arg_str(const st_event *ev, const char *name, st_string *out);
/* An integer argument of either signedness that fits the output type. */
bool st_arg_uint(const st_event *ev, const char *name, uint64_t *out);
bool st_arg_int(const st_event *ev, const char *name, int64_t *out);
bool st_arg_bool(const st_event *ev, const char *name, bool *out);
/* A string-list argument such as argv; false when absent or of another
 * type. Elements through st_list_get. */
bool st_arg_list(const st_event *ev, const char *name, st_list *out);
/* A bytes argument (a view into the batch). */
bool st_arg_bytes(const st_event *ev, const char *name, const uint8_t **data, size_t *len);

/* Reading a batch by hand, e.g. in a native unit test of a detector:
 * sandtrap.c does this for every batch the host passes in. */
typedef struct st_batch {
    const uint8_t *bytes;
    size_t len;
    size_t count; /* number of events */
} st_batch;

st_batch st_batch_view(const uint8_t *bytes, size_t len);
/* Event i; an empty event (every field 0 or "") when its bounds are
 * malformed or i is past the end. */
st_event st_batch_event(const st_batch *batch, size_t i);

/* ----------------------------------------------------------- description */

/* Identity: id (1–64 of [A-Za-z0-9._-]), display name, version. */
void st_desc_id(st_desc *d, const char *id, const char *name, const char *version);
void st_desc_text(st_desc *d, const char *text);
/* Adds a selector for events named `event` ("*" for all)… */
void st_desc_select(st_desc *d, const char *event);
/* …and a filter to the selector added last. `field` is an argument name or
 * process.comm, process.exe, process.uid, process.pid, container.id. */
void st_desc_filter(st_desc *d, const char *field, st_filter_op op, const char *value);
/* A store the detector cannot load without / uses when available:
 * process, container, system, syscall, symbol, dns, or a writable store. */
void st_desc_requires(st_desc *d, const char *store);
void st_desc_uses(st_desc *d, const char *store);
/* The finding: name and default severity, text, MITRE ATT&CK, fields. */
void st_desc_finding(st_desc *d, const char *name, st_severity severity);
void st_desc_finding_text(st_desc *d, const char *text);
void st_desc_mitre(st_desc *d, const char *tactic, const char *technique);
void st_desc_field(st_desc *d, const char *name);
/* st_desc_fields(d, "a", "b", "c") — any number of names. */
#define st_desc_fields(d, ...) st_desc_fields_((d), __VA_ARGS__, (const char *)0)
void st_desc_fields_(st_desc *d, ...);

/* ------------------------------------------------------------ detections */

/* Appends an empty detection with the definition's severity. The pointer
 * is valid until the next st_detect on the same list. */
st_detection *st_detect(st_detections *out);
void st_set_severity(st_detection *det, st_severity severity);
/* Fields: names and strings are copied; NULL strings become "". */
void st_field_str(st_detection *det, const char *name, const char *value);
void st_field_strn(st_detection *det, const char *name, const char *value, size_t len);
void st_field_string(st_detection *det, const char *name, const st_string *value);
void st_field_fmt(st_detection *det, const char *name, const char *fmt, ...) ST_PRINTF(3, 4);
void st_field_int(st_detection *det, const char *name, int64_t value);
void st_field_uint(st_detection *det, const char *name, uint64_t value);
void st_field_bool(st_detection *det, const char *name, bool value);
void st_field_bytes(st_detection *det, const char *name, const uint8_t *data, size_t len);
/* Moves `list` into the detection and leaves it empty ({0}). */
void st_field_strlist(st_detection *det, const char *name, st_strlist *list);

/* ---------------------------------------------------------- configuration */

/* These read the configuration during detector_init; its strings are freed
 * when init returns, so keep copies. */
/* The value of `key` (the last one when repeated), NULL when absent. */
const char *st_config_get(const st_config *config, const char *key);
/* Appends to `out` (owned; st_strlist_free) the items of a list value,
 * split on commas and whitespace, empty items dropped. False when absent. */
bool st_config_list(const st_config *config, const char *key, st_strlist *out);
/* A decimal number; `def` when absent, false with a message naming the key
 * when malformed. */
bool st_config_u64(const st_config *config, const char *key, uint64_t def, uint64_t *out,
                   st_error *err);
/* true/false/yes/no/on/off/1/0; `def` when absent. */
bool st_config_bool(const st_config *config, const char *key, bool def, bool *out, st_error *err);
size_t st_config_count(const st_config *config);
/* Entry i, in order; false past the end. */
bool st_config_entry(const st_config *config, size_t i, const char **key, const char **value);

/* ------------------------------------------------------------------ log */

/* One line tagged with the detector id; rate-limited by the host and cut at
 * 4 KiB. Prefer it to stdio, which goes nowhere in the sandbox. */
void st_log(st_log_level level, const char *fmt, ...) ST_PRINTF(2, 3);
#define st_log_trace(...) st_log(ST_LOG_TRACE, __VA_ARGS__)
#define st_log_debug(...) st_log(ST_LOG_DEBUG, __VA_ARGS__)
#define st_log_info(...) st_log(ST_LOG_INFO, __VA_ARGS__)
#define st_log_warn(...) st_log(ST_LOG_WARN, __VA_ARGS__)
#define st_log_error(...) st_log(ST_LOG_ERROR, __VA_ARGS__)
/* The host clock in ns since the Unix epoch (fixed under `sandtrap test`). */
uint64_t st_now(void);

/* --------------------------------------------------------------- stores */

/* Why a store call failed. `not found` is an ordinary answer. */
typedef enum st_store_error_kind {
    ST_NOT_FOUND = SANDTRAP_DETECTOR_TYPES_STORE_ERROR_NOT_FOUND,
    ST_STORE_UNHEALTHY = SANDTRAP_DETECTOR_TYPES_STORE_ERROR_STORE_UNHEALTHY,
    ST_NOT_IMPLEMENTED = SANDTRAP_DETECTOR_TYPES_STORE_ERROR_NOT_IMPLEMENTED,
    ST_INVALID_ARGUMENT = SANDTRAP_DETECTOR_TYPES_STORE_ERROR_INVALID_ARGUMENT,
} st_store_error_kind;

/* Owns no memory: `text` is "not found", "store unhealthy", "not
 * implemented" or "invalid argument: …" (cut to fit). Every `err` below may
 * be NULL. */
typedef struct st_store_error {
    st_store_error_kind kind;
    char text[192];
} st_store_error;

/* processes — [0] of an ancestry is the process itself, [1] its parent… */
bool st_get_process(uint64_t entity_id, st_process *out, st_store_error *err);
bool st_get_children(uint64_t entity_id, st_process_list *out, st_store_error *err);
bool st_get_ancestry(uint64_t entity_id, uint32_t max_depth, st_process_list *out,
                     st_store_error *err);
void st_process_free(st_process *p);
void st_process_list_free(st_process_list *list);
/* True when the process's name or the basename of its exe is `name`. */
bool st_process_is(const st_process *p, const char *name);

/* containers — by full id or a unique prefix of at least 12 characters */
bool st_get_container(const char *id, st_container *out, st_store_error *err);
bool st_get_container_by_name(const char *name, st_container *out, st_store_error *err);
/* Running containers matching every non-NULL criterion. */
bool st_list_containers(const char *name, const char *image, const char *runtime,
                        st_container_list *out, st_store_error *err);
void st_container_free(st_container *c);
void st_container_list_free(st_container_list *list);

/* dns — a domain (its addresses and CNAME chain) or an address (its names) */
bool st_get_dns_response(const char *query, st_dns_response *out, st_store_error *err);
void st_dns_response_free(st_dns_response *r);

/* system */
bool st_get_system_info(st_system_info *out, st_store_error *err);
void st_system_info_free(st_system_info *info);

/* syscalls — `out` of st_get_syscall_name is yours: free() it */
bool st_get_syscall_name(int32_t id, char **out, st_store_error *err);
bool st_get_syscall_id(const char *name, int32_t *out, st_store_error *err);

/* kernel symbols */
bool st_resolve_symbol(uint64_t address, st_symbol_list *out, st_store_error *err);
bool st_get_symbol_address(const char *name, uint64_t *out, st_store_error *err);
bool st_resolve_symbols(const uint64_t *addresses, size_t count, st_resolved_list *out,
                        st_store_error *err);
void st_symbol_list_free(st_symbol_list *list);
void st_resolved_list_free(st_resolved_list *list);

/* registry */
bool st_store_available(const char *name);
/* Replaces *out (start from {0}); free with st_strlist_free. */
void st_list_stores(st_strlist *out);
bool st_get_store_metadata(const char *name, st_store_metadata *out, st_store_error *err);
bool st_get_store_health(const char *name, st_health_info *out, st_store_error *err);
bool st_get_store_metrics(const char *name, st_store_metrics *out, st_store_error *err);
void st_store_metadata_free(st_store_metadata *m);
void st_health_info_free(st_health_info *h);

/* ip-reputation — handles are host resources: close each one you open. */
bool st_reputation_open(const char *store, st_reputation_reader *out, st_store_error *err);
bool st_reputation_get(st_reputation_reader reader, const char *ip, st_reputation *out,
                       st_store_error *err);
bool st_reputation_is_blacklisted(st_reputation_reader reader, const char *ip, bool *out,
                                  st_store_error *err);
void st_reputation_reader_close(st_reputation_reader reader);
/* Creates the store `store` (policy: SANDTRAP_DETECTOR_IP_REPUTATION_CONFLICT_POLICY_*)
 * and makes this detector its owner. */
bool st_reputation_register(const char *store, uint8_t policy, st_reputation_writer *out,
                            st_store_error *err);
/* Borrows `entry`; it stays yours. */
bool st_reputation_write(st_reputation_writer writer, const char *source,
                         const st_reputation *entry, st_store_error *err);
void st_reputation_writer_close(st_reputation_writer writer);
void st_reputation_free(st_reputation *r);

#ifdef __cplusplus
}
#endif

#endif /* SANDTRAP_H */
