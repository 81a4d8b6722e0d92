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
 *  2. Strings read from the host's buffers are NOT NUL-terminated. An
 *     event is a view over its bytes in the batch the host passed in, and a
 *     store record a view over its bytes in the store's answer; st_event_name,
 *     st_arg_str, st_list_get, st_process_name, st_container_image … return
 *     st_string views {ptr, len} pointing into that buffer: the next byte is
 *     whatever the encoding put there. Use them through their length:
 *     compare with st_str_eq, st_str_has_prefix/_suffix, st_str_contains,
 *     st_str_eq_str, st_strlist_contains_str; print with
 *     `printf(ST_STR_FMT, ST_STR_ARG(s))`; put them in a detection with
 *     st_field_string; and when you need a C string (a store call, a libc
 *     function), take a malloc'd copy with st_str_dup(&s) and free() it.
 *     Never pass such a view to st_cstr or cast its ptr to char *.
 *  3. Every other string the host hands over (configuration, syscall names,
 *     system and registry information) and every string this SDK makes is
 *     NUL-terminated: st_cstr() gives a `const char *` without copying.
 *     (sandtrap.c's allocator reserves the extra byte; see cabi_realloc.)
 *     Such strings also carry their length; one with an embedded NUL byte
 *     reads short through st_cstr.
 *  4. Store answers (st_get_*, st_list_containers, st_resolve_*, st_reputation_get*)
 *     belong to you: release each with the st_*_free function named next to
 *     it. When a call fails, *out is left empty: reading it gives 0, ""
 *     and no records, and freeing it does nothing. A record read
 *     from a list, and every string or list read from a record, is a view
 *     into the answer: valid until the answer is freed, never freed itself.
 *  5. Whatever you put into a description or detection is copied (strings)
 *     or moved (st_strlist passed to st_field_strlist). sandtrap.c hands the
 *     description to the host, which frees it after reading it; it encodes
 *     the detections into the batch's output (see "output" below) and frees
 *     them as soon as your on_event returns. You never free either.
 *  6. Store errors (st_store_error) own no memory.
 *
 * Nothing here traps on bad input: absent arguments, arguments of another
 * type, malformed event or answer bytes and failed store calls are reported
 * through return values (a malformed field reads as 0, "" or absent). Running
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

#define ST_CONTRACT_VERSION "0.4.0"

#define ST_PRINTF(fmt, args) __attribute__((__format__(__printf__, fmt, args)))

/* ---------------------------------------------------------------- types */

typedef detector_string_t st_string;
/* A list of strings. Lists you build start as `st_strlist l = {0};`. */
typedef detector_list_string_t st_strlist;
/* A view over one event of the batch; accessors under "events" below. */
typedef struct st_event st_event;
typedef detector_list_tuple2_string_string_t st_config;

typedef sandtrap_detector_types_system_info_t st_system_info;
typedef sandtrap_detector_types_store_metadata_t st_store_metadata;
typedef sandtrap_detector_types_health_info_t st_health_info;
typedef sandtrap_detector_types_store_metrics_t st_store_metrics;
/* An entry to write (st_reputation_write); reads answer with
 * st_reputation_entry views instead. */
typedef sandtrap_detector_ip_reputation_reputation_t st_reputation;
typedef sandtrap_detector_ip_reputation_own_reader_t st_reputation_reader;
typedef sandtrap_detector_ip_reputation_own_writer_t st_reputation_writer;

typedef exports_sandtrap_detector_guest_description_t st_desc;

typedef exports_sandtrap_detector_guest_severity_t st_severity;
#define ST_INFO EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_INFO
#define ST_LOW EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_LOW
#define ST_MEDIUM EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_MEDIUM
#define ST_HIGH EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_HIGH
#define ST_CRITICAL EXPORTS_SANDTRAP_DETECTOR_GUEST_SEVERITY_CRITICAL

/* Kinds of values: st_value.tag, st_arg_view.kind, and the kind byte of an
 * argument entry in docs/wire-encoding.md, which numbers them this way. */
#define ST_VALUE_STR 0
#define ST_VALUE_INT 1
#define ST_VALUE_UINT 2
#define ST_VALUE_BOOL 3
#define ST_VALUE_BYTES 4
#define ST_VALUE_STR_LIST 5

/*
 * A detection as the detector builds it (st_detect, st_field_*). Since
 * contract 0.4 these are the SDK's own types, not generated ones: the
 * contract carries detections as encoded bytes (host.report), and
 * sandtrap.c encodes these after each event. Every string and list in
 * them is malloc'd and owned by the detection; build them with the
 * st_field_* functions, never by hand.
 */
typedef struct st_value {
    uint8_t tag; /* ST_VALUE_* */
    union {
        st_string str;
        int64_t int_;
        uint64_t uint;
        bool boolean;
        detector_list_u8_t bytes;
        st_strlist str_list;
    } val;
} st_value;

typedef struct st_field {
    st_string name;
    st_value value;
} st_field;

typedef struct st_detection {
    struct {
        st_field *ptr;
        size_t len;
    } fields;
    /* Overrides the definition's severity when is_some (st_set_severity). */
    struct {
        bool is_some;
        st_severity val;
    } severity;
} st_detection;

/* The detections of one event; sandtrap.c owns the list (see st_detect). */
typedef struct st_detections {
    st_detection *ptr;
    size_t len;
} st_detections;

typedef exports_sandtrap_detector_guest_filter_op_t st_filter_op;
#define ST_EQUAL EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_EQUAL
#define ST_NOT_EQUAL EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_NOT_EQUAL
#define ST_PREFIX EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_PREFIX
#define ST_SUFFIX EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_SUFFIX
#define ST_CONTAINS EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_CONTAINS
/* The field is an address the reputation store named by the value
 * blacklists; answered by the host from the store. */
#define ST_BLACKLISTED_IN EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_BLACKLISTED_IN
/* The field equals an item of the configuration list named by the value;
 * the host reads the list from each instance's configuration. */
#define ST_IN_CONFIG EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_IN_CONFIG
/* The field is a domain listed under the configuration key named by the
 * value, or a subdomain of one (no case, a trailing dot ignored). */
#define ST_DOMAIN_IN_CONFIG EXPORTS_SANDTRAP_DETECTOR_GUEST_FILTER_OP_DOMAIN_IN_CONFIG

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
 * (docs/wire-encoding.md); it owns nothing and is valid until
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

/* A string list read in place: an argument such as argv, or a list field
 * of a store record (st_process_argv, st_dns_response_ips …). */
typedef struct st_list {
    const uint8_t *base; /* the bytes of the event or store record holding it */
    size_t base_len;
    size_t table; /* offset of the (offset, length) entries in `base` */
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
/* Frees detections and leaves the list empty. Only for a native unit test
 * that calls detector_on_event itself: sandtrap.c frees the glue's. */
void st_detections_free(st_detections *list);

/* ---------------------------------------------------------------- output */

/*
 * What one on-events call found, as it leaves the guest (contract 0.4):
 * sandtrap.c encodes every detection and error of the batch, in order,
 * into one record list (docs/wire-encoding.md, "Output") and passes it to
 * the host in a single host.report call at the end of the batch, only when
 * there is something to report. A detector never calls these itself; they
 * are here for native unit tests, which can encode output as the glue does
 * and read back what the glue reported.
 *
 * The host traps on a malformed report and on more than 4 MiB in one call.
 * The encoder therefore never produces either: text that is not UTF-8 is
 * written with U+FFFD in place of each bad byte, a field of unknown kind is
 * left out, and once the list would pass ST_OUTPUT_LIMIT an event's
 * further output is replaced by one error record saying so (see
 * st_output_detection).
 */
#define ST_OUTPUT_LIMIT (4u << 20)

/* An output being built. Start from {0}; reuse it with st_output_reset and
 * release it with st_output_free. Its fields are the SDK's. */
typedef struct st_output {
    uint8_t *bytes; /* the records (after st_output_finish: the framed list) */
    size_t len, cap;
    uint32_t *starts; /* where each record starts in `bytes` */
    size_t count, starts_cap;
    bool framed;
    uint64_t notice_index; /* the last event whose output was cut, +1 (0: none) */
    size_t dropped;        /* records that did not fit at all */
} st_output;

/* Appends `det` as the output of event `index` of the batch. False when it
 * did not fit under ST_OUTPUT_LIMIT: it is left out and, once per event, an
 * error record saying so takes its place. */
bool st_output_detection(st_output *o, uint32_t index, const st_detection *det);
/* Appends an error of event `index`, `message` of `len` bytes (the limit
 * applies as for detections). */
bool st_output_error(st_output *o, uint32_t index, const char *message, size_t len);
/* Number of records appended so far (detections and errors). */
size_t st_output_count(const st_output *o);
/* Frames the records as one record list and returns it, valid until the
 * next st_output_reset or st_output_free; nothing may be appended after
 * it until st_output_reset. */
void st_output_finish(st_output *o, const uint8_t **bytes, size_t *len);
/* Empties the output, keeping its memory for the next batch. */
void st_output_reset(st_output *o);
void st_output_free(st_output *o);

/* Reading a reported record list, e.g. what a stubbed host.report got in
 * a native test. Read in place and never failing, like an event: a record
 * or field that does not fit reads as absent. */
typedef struct st_output_list {
    const uint8_t *bytes;
    size_t size;
    size_t len; /* number of records */
} st_output_list;

typedef struct st_output_record {
    const uint8_t *bytes;
    size_t len;
} st_output_record;

#define ST_OUTPUT_DETECTION 0
#define ST_OUTPUT_ERROR 1

st_output_list st_output_list_view(const uint8_t *bytes, size_t size);
/* Record i; false past the end. */
bool st_output_list_get(const st_output_list *list, size_t i, st_output_record *out);
/* The event's position in its batch. */
uint32_t st_output_record_index(const st_output_record *r);
/* ST_OUTPUT_DETECTION or ST_OUTPUT_ERROR (anything else: malformed). */
uint8_t st_output_record_kind(const st_output_record *r);
/* A detection's severity code: 0 the definition's, 1 info, 2 low,
 * 3 medium, 4 high, 5 critical. */
uint8_t st_output_record_severity(const st_output_record *r);
/* An error's message (a view, not NUL-terminated). */
st_string st_output_record_message(const st_output_record *r);
/* A detection's fields, in order, read as event arguments are. */
size_t st_output_record_field_count(const st_output_record *r);
bool st_output_record_field(const st_output_record *r, size_t i, st_arg_view *out);

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

/*
 * Store answers (contract 0.3). Every answer that carries records arrives
 * as one buffer in the encoding of docs/wire-encoding.md ("Store
 * answers") and is read in place, like an event: a record is a view over
 * its bytes, and each accessor decodes its field when called, so a field
 * you never read costs nothing (keep a value you use twice in a local).
 * Nothing fails: a field that does not fit in its record reads as 0, "" or
 * an empty list, a record whose bounds are malformed reads as empty, and a
 * count larger than the answer's offset table is cut to what fits.
 *
 * Strings and lists read from a record are views into the answer, NOT
 * NUL-terminated (ownership rule 2), valid until the answer is freed.
 *
 * Answers that name one thing (st_get_process, st_get_container,
 * st_get_container_by_name, st_get_dns_response, st_reputation_get) fill a
 * record view that owns the answer: free it with its st_<kind>_free. The
 * others fill a list (`len` records; st_<kind>_list_get(&list, i, &view)
 * for record i): free the list with st_<kind>_list_free, which ends the
 * views read from it. Views read from a list own nothing; calling
 * st_<kind>_free on one does nothing.
 *
 * Reading an answer by hand, e.g. in a native unit test of a detector:
 * st_<kind>_list_view(bytes, size) is a list over bytes you own (never
 * free it with st_<kind>_list_free).
 */

/* The fields of every record view and list are the SDK's: read them
 * through the accessors. `answer`, when set, is the buffer the view owns. */
typedef struct st_process {
    const uint8_t *bytes;
    size_t len;
    uint8_t *answer;
} st_process;
typedef struct st_container {
    const uint8_t *bytes;
    size_t len;
    uint8_t *answer;
} st_container;
typedef struct st_dns_response {
    const uint8_t *bytes;
    size_t len;
    uint8_t *answer;
} st_dns_response;
typedef struct st_symbol {
    const uint8_t *bytes;
    size_t len;
    uint8_t *answer;
} st_symbol;
typedef struct st_reputation_entry {
    const uint8_t *bytes;
    size_t len;
    uint8_t *answer;
} st_reputation_entry;

/* A record list: `len` is the number of records. */
typedef struct st_process_list {
    const uint8_t *bytes;
    size_t size;
    size_t len;
} st_process_list;
typedef struct st_container_list {
    const uint8_t *bytes;
    size_t size;
    size_t len;
} st_container_list;
typedef struct st_dns_response_list {
    const uint8_t *bytes;
    size_t size;
    size_t len;
} st_dns_response_list;
typedef struct st_symbol_list {
    const uint8_t *bytes;
    size_t size;
    size_t len;
} st_symbol_list;
typedef struct st_reputation_list {
    const uint8_t *bytes;
    size_t size;
    size_t len;
} st_reputation_list;

/* processes — [0] of an ancestry is the process itself, [1] its parent… */
bool st_get_process(uint64_t entity_id, st_process *out, st_store_error *err);
bool st_get_children(uint64_t entity_id, st_process_list *out, st_store_error *err);
bool st_get_ancestry(uint64_t entity_id, uint32_t max_depth, st_process_list *out,
                     st_store_error *err);
/* Record i of the list; false past the end. */
bool st_process_list_get(const st_process_list *list, size_t i, st_process *out);
st_process_list st_process_list_view(const uint8_t *bytes, size_t size);
void st_process_free(st_process *p);
void st_process_list_free(st_process_list *list);

uint64_t st_process_entity_id(const st_process *p);
/* 0 when unknown. */
uint64_t st_process_parent_entity_id(const st_process *p);
/* Start and exit in ns since the Unix epoch; st_process_exit_time is false
 * while the process runs. */
uint64_t st_process_start_time(const st_process *p);
bool st_process_exit_time(const st_process *p, uint64_t *out);
uint32_t st_process_pid(const st_process *p);
uint32_t st_process_ppid(const st_process *p);
uint32_t st_process_uid(const st_process *p);
uint32_t st_process_gid(const st_process *p);
/* The binary name ("bash"), the full executable path, the container id
 * ("" outside containers), the arguments of the last exec. */
st_string st_process_name(const st_process *p);
st_string st_process_exe(const st_process *p);
st_string st_process_container_id(const st_process *p);
st_list st_process_argv(const st_process *p);
/* True when the process's name or the basename of its exe is `name`. */
bool st_process_is(const st_process *p, const char *name);

/* containers — by full id or a unique prefix of at least 12 characters */
bool st_get_container(const char *id, st_container *out, st_store_error *err);
bool st_get_container_by_name(const char *name, st_container *out, st_store_error *err);
/* Running containers matching every non-NULL criterion. */
bool st_list_containers(const char *name, const char *image, const char *runtime,
                        st_container_list *out, st_store_error *err);
bool st_container_list_get(const st_container_list *list, size_t i, st_container *out);
st_container_list st_container_list_view(const uint8_t *bytes, size_t size);
void st_container_free(st_container *c);
void st_container_list_free(st_container_list *list);

uint64_t st_container_start_time(const st_container *c);
st_string st_container_id(const st_container *c);
st_string st_container_name(const st_container *c);
st_string st_container_image(const st_container *c);
st_string st_container_image_digest(const st_container *c);
/* "docker", "containerd", "crio" or "podman". */
st_string st_container_runtime(const st_container *c);

/* The pod of a container, a view into the same record. */
typedef struct st_pod {
    const uint8_t *bytes;
    size_t len;
    bool sandbox;
} st_pod;
/* False when the container belongs to no pod. */
bool st_container_pod(const st_container *c, st_pod *out);
st_string st_pod_name(const st_pod *pod);
st_string st_pod_uid(const st_pod *pod);
st_string st_pod_namespace(const st_pod *pod);
/* Whether the container is the pod's sandbox (pause) container. */
bool st_pod_is_sandbox(const st_pod *pod);

/* dns — a domain (its addresses and CNAME chain) or an address (its names) */
bool st_get_dns_response(const char *query, st_dns_response *out, st_store_error *err);
bool st_dns_response_list_get(const st_dns_response_list *list, size_t i, st_dns_response *out);
st_dns_response_list st_dns_response_list_view(const uint8_t *bytes, size_t size);
void st_dns_response_free(st_dns_response *r);
void st_dns_response_list_free(st_dns_response_list *list);

/* The name or address asked about; the addresses the name resolved to,
 * after following CNAMEs; the CNAME chain of a domain query, or the names
 * that resolved to the address of an IP query. */
st_string st_dns_response_query(const st_dns_response *r);
st_list st_dns_response_ips(const st_dns_response *r);
st_list st_dns_response_domains(const st_dns_response *r);

/* system */
bool st_get_system_info(st_system_info *out, st_store_error *err);
void st_system_info_free(st_system_info *info);

/* syscalls — `out` of st_get_syscall_name is yours: free() it */
bool st_get_syscall_name(int32_t id, char **out, st_store_error *err);
bool st_get_syscall_id(const char *name, int32_t *out, st_store_error *err);

/* kernel symbols — every alias of the symbol whose code contains
 * `address`; for a batch, the aliases of each address that resolved, in
 * the order asked (an address that did not resolve has no record: match
 * records to addresses with st_symbol_query). */
bool st_resolve_symbol(uint64_t address, st_symbol_list *out, st_store_error *err);
bool st_resolve_symbols(const uint64_t *addresses, size_t count, st_symbol_list *out,
                        st_store_error *err);
bool st_get_symbol_address(const char *name, uint64_t *out, st_store_error *err);
bool st_symbol_list_get(const st_symbol_list *list, size_t i, st_symbol *out);
st_symbol_list st_symbol_list_view(const uint8_t *bytes, size_t size);
void st_symbol_free(st_symbol *s);
void st_symbol_list_free(st_symbol_list *list);

/* The address that was asked about; the symbol's start address. */
uint64_t st_symbol_query(const st_symbol *s);
uint64_t st_symbol_address(const st_symbol *s);
st_string st_symbol_name(const st_symbol *s);
/* "system" for the core kernel, else the owning module. */
st_string st_symbol_module(const st_symbol *s);

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
typedef sandtrap_detector_ip_reputation_reputation_status_t st_reputation_status;
#define ST_REPUTATION_UNKNOWN SANDTRAP_DETECTOR_IP_REPUTATION_REPUTATION_STATUS_UNKNOWN
#define ST_REPUTATION_CLEAN SANDTRAP_DETECTOR_IP_REPUTATION_REPUTATION_STATUS_CLEAN
#define ST_REPUTATION_SUSPICIOUS SANDTRAP_DETECTOR_IP_REPUTATION_REPUTATION_STATUS_SUSPICIOUS
#define ST_REPUTATION_BLACKLISTED SANDTRAP_DETECTOR_IP_REPUTATION_REPUTATION_STATUS_BLACKLISTED

bool st_reputation_open(const char *store, st_reputation_reader *out, st_store_error *err);
/* The winning entry for `ip` under the store's conflict policy. */
bool st_reputation_get(st_reputation_reader reader, const char *ip, st_reputation_entry *out,
                       st_store_error *err);
/* Every source's entry for the matched key, in source order. */
bool st_reputation_get_all(st_reputation_reader reader, const char *ip, st_reputation_list *out,
                           st_store_error *err);
bool st_reputation_is_blacklisted(st_reputation_reader reader, const char *ip, bool *out,
                                  st_store_error *err);
void st_reputation_reader_close(st_reputation_reader reader);
bool st_reputation_list_get(const st_reputation_list *list, size_t i, st_reputation_entry *out);
st_reputation_list st_reputation_list_view(const uint8_t *bytes, size_t size);
void st_reputation_entry_free(st_reputation_entry *r);
void st_reputation_list_free(st_reputation_list *list);

/* The address or CIDR prefix the entry was written for; the source that
 * wrote it; its tags. */
st_string st_reputation_entry_ip(const st_reputation_entry *r);
st_string st_reputation_entry_source(const st_reputation_entry *r);
st_list st_reputation_entry_tags(const st_reputation_entry *r);
/* ST_REPUTATION_*; an unknown code reads as ST_REPUTATION_UNKNOWN. */
st_reputation_status st_reputation_entry_status(const st_reputation_entry *r);
/* 1 (lowest) to 10 (highest); 0 when absent. */
uint8_t st_reputation_entry_severity(const st_reputation_entry *r);
/* ns since the Unix epoch. */
uint64_t st_reputation_entry_last_updated(const st_reputation_entry *r);

/* Creates the store `store` (policy: SANDTRAP_DETECTOR_IP_REPUTATION_CONFLICT_POLICY_*)
 * and makes this detector its owner. */
bool st_reputation_register(const char *store, uint8_t policy, st_reputation_writer *out,
                            st_store_error *err);
/* Borrows `entry`; it stays yours. */
bool st_reputation_write(st_reputation_writer writer, const char *source,
                         const st_reputation *entry, st_store_error *err);
void st_reputation_writer_close(st_reputation_writer writer);
/* Frees an st_reputation whose strings and tags you allocated. */
void st_reputation_free(st_reputation *r);

#ifdef __cplusplus
}
#endif

#endif /* SANDTRAP_H */
