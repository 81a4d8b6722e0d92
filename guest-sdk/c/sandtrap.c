/*
 * sandtrap.c — the C SDK's implementation: the component's exports (built on
 * the detector_* functions a detector defines), the allocator the host uses
 * to pass data in, the decoders of the event batch and of store answers,
 * the encoder of the output reported to the host, and the helpers declared
 * in sandtrap.h.
 *
 * Ownership follows the wit-bindgen C conventions: arguments of an export
 * belong to the guest (freed here, after the detector returned), results
 * of an export are malloc'd here and freed by the generated *_post_return
 * once the host copied them, results of an import belong to the caller,
 * and arguments of an import stay the caller's (the host copies them).
 */
#include "sandtrap.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ allocation */

/* Running out of linear memory is not something a detector can handle
 * sensibly; trapping makes the host report a fault and start a fresh
 * instance, like a failed allocation in a Rust guest. */
static void *st__xrealloc(void *ptr, size_t size) {
    void *p = realloc(ptr, size ? size : 1);
    if (!p) __builtin_trap();
    return p;
}

/*
 * The host allocates every string and list it passes in (the event batch,
 * config, store answers) through this function. Reserving one extra zeroed
 * byte makes every such string NUL-terminated in place, so st_cstr() can
 * hand out `const char *` without copying. The strings inside an event
 * batch or a store answer are not separate allocations, so they get no
 * terminator: they are read as views (sandtrap.h, ownership rule 2). It
 * overrides the generated (weak) definition. Alignments in this contract
 * are at most 8, which malloc always satisfies.
 */
__attribute__((__export_name__("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    if (new_size == 0) return (void *)align;
    uint8_t *p = st__xrealloc(ptr, new_size + 1);
    p[new_size] = 0;
    return p;
}

/* A NUL-terminated copy, in the layout the host frees with free(). */
static st_string st__string(const char *s, size_t len) {
    st_string out = {NULL, 0};
    if (!s || len == 0) return out;
    out.ptr = st__xrealloc(NULL, len + 1);
    memcpy(out.ptr, s, len);
    out.ptr[len] = 0;
    out.len = len;
    return out;
}

static st_string st__cstring(const char *s) { return st__string(s, s ? strlen(s) : 0); }

/* A borrowed view for passing a C string to an import (which copies it). */
static st_string st__view(const char *s) {
    st_string v = {(uint8_t *)(uintptr_t)(s ? s : ""), s ? strlen(s) : 0};
    return v;
}

static st_string st__vformat(const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    st_string out = {NULL, 0};
    if (n <= 0) return out;
    out.ptr = st__xrealloc(NULL, (size_t)n + 1);
    vsnprintf((char *)out.ptr, (size_t)n + 1, fmt, ap);
    out.len = (size_t)n;
    return out;
}

/*
 * Appends one zeroed element to a {ptr, len} list and returns it. The
 * generated list types carry no capacity, so the capacity is implied by
 * the length (the next power of two, at least 4): growth stays amortised
 * and every list remains freeable with free().
 */
static size_t st__capacity(size_t len) {
    size_t cap = 4;
    while (cap < len) cap <<= 1;
    return cap;
}

static void *st__push(void **ptr, size_t *len, size_t elem) {
    if (*len == 0) {
        *ptr = st__xrealloc(NULL, st__capacity(1) * elem);
    } else if (*len == st__capacity(*len)) {
        *ptr = st__xrealloc(*ptr, st__capacity(*len + 1) * elem);
    }
    uint8_t *slot = (uint8_t *)*ptr + *len * elem;
    memset(slot, 0, elem);
    (*len)++;
    return slot;
}

#define ST__PUSH(list) st__push((void **)&(list)->ptr, &(list)->len, sizeof *(list)->ptr)

/* --------------------------------------------------------------- exports */

/* The generated bindings reference this symbol to pull in the component-type
 * object file wit-bindgen can write. We generate without it (no binary in
 * the repository) and build.sh embeds the same type with
 * `wasm-tools component embed`, so an empty definition satisfies the link. */
void __component_type_object_force_link_detector(void) {}

__attribute__((__weak__)) void detector_close(void) {}

static void st__set_default_error(st_error *e, const char *what) {
    if (e->message.len == 0) e->message = st__cstring(what);
}

void exports_sandtrap_detector_guest_describe(exports_sandtrap_detector_guest_description_t *ret) {
    memset(ret, 0, sizeof *ret);
    ret->finding.severity = ST_MEDIUM;
    detector_describe(ret);
}

bool exports_sandtrap_detector_guest_init(detector_list_tuple2_string_string_t *config,
                                          detector_string_t *err) {
    st_error e = {{NULL, 0}};
    bool ok = detector_init(config, &e);
    detector_list_tuple2_string_string_free(config);
    if (ok) {
        detector_string_free(&e.message);
        return true;
    }
    st__set_default_error(&e, "detector_init failed");
    *err = e.message;
    return false;
}

static void st__detection_free(st_detection *d) {
    for (size_t i = 0; i < d->fields.len; i++) {
        st_field *f = &d->fields.ptr[i];
        detector_string_free(&f->name);
        switch (f->value.tag) {
        case ST_VALUE_STR: detector_string_free(&f->value.val.str); break;
        case ST_VALUE_BYTES: detector_list_u8_free(&f->value.val.bytes); break;
        case ST_VALUE_STR_LIST: detector_list_string_free(&f->value.val.str_list); break;
        default: break;
        }
    }
    free(d->fields.ptr);
    memset(d, 0, sizeof *d);
}

void st_detections_free(st_detections *list) {
    if (!list) return;
    for (size_t i = 0; i < list->len; i++) st__detection_free(&list->ptr[i]);
    free(list->ptr);
    list->ptr = NULL;
    list->len = 0;
}

/* The output buffer, kept between calls so that reporting allocates nothing
 * once it has grown to the detector's usual output; a buffer grown past
 * this by an unusual batch is released rather than held for good. */
static st_output st__out;
#define ST__MAX_KEPT_OUTPUT ((size_t)1 << 20)

/*
 * One call for a whole batch: the detector runs on each event in turn and
 * every outcome is encoded under the event's index as soon as the event is
 * handled, so an event whose handler fails costs only its own detections
 * and a detection's strings are freed before the next event. Everything
 * the batch found goes to the host in one host.report call at the end;
 * a batch that found nothing makes none. The batch buffer is the guest's
 * (allocated through cabi_realloc) and is freed here once every event has
 * been handled; nothing the detector got from it survives the call.
 */
void exports_sandtrap_detector_guest_on_events(detector_list_u8_t *events) {
    st_batch batch = st_batch_view(events->ptr, events->len);
    st_output_reset(&st__out);
    for (size_t i = 0; i < batch.count; i++) {
        st_event ev = st_batch_event(&batch, i);
        st_detections dets = {NULL, 0};
        st_error e = {{NULL, 0}};
        /* count <= (len - 4) / 4 of a u32-framed buffer: i fits in a u32 */
        uint32_t index = (uint32_t)i;
        if (detector_on_event(&ev, &dets, &e)) {
            for (size_t j = 0; j < dets.len; j++) st_output_detection(&st__out, index, &dets.ptr[j]);
        } else {
            st__set_default_error(&e, "detector_on_event failed");
            st_output_error(&st__out, index, (const char *)e.message.ptr, e.message.len);
        }
        st_detections_free(&dets);
        detector_string_free(&e.message);
    }
    detector_list_u8_free(events);
    events->ptr = NULL;
    events->len = 0;

    if (st__out.dropped)
        st_log_error("%zu output record(s) of this batch dropped: over the host's %u-byte report limit",
                     st__out.dropped, ST_OUTPUT_LIMIT);
    if (st_output_count(&st__out) > 0) {
        const uint8_t *bytes;
        size_t len;
        st_output_finish(&st__out, &bytes, &len);
        /* The import only reads the list (the host copies it out). */
        detector_list_u8_t list = {(uint8_t *)(uintptr_t)bytes, len};
        sandtrap_detector_host_report(&list);
    }
    if (st__out.cap > ST__MAX_KEPT_OUTPUT) st_output_free(&st__out);
    else st_output_reset(&st__out);
}

void exports_sandtrap_detector_guest_close(void) { detector_close(); }

bool st_fail(st_error *err, const char *fmt, ...) {
    if (!err) return false;
    detector_string_free(&err->message);
    va_list ap;
    va_start(ap, fmt);
    err->message = st__vformat(fmt, ap);
    va_end(ap);
    return false;
}

/* --------------------------------------------------------------- strings */

const char *st_cstr(const st_string *s) {
    /* Zero-length strings may point anywhere (the canonical ABI passes the
     * alignment as their address). */
    return (s && s->len) ? (const char *)s->ptr : "";
}

static bool st__eqn(const st_string *s, const char *text, size_t n) {
    return s->len == n && (n == 0 || memcmp(s->ptr, text, n) == 0);
}

bool st_str_eq(const st_string *s, const char *text) {
    return s && text && st__eqn(s, text, strlen(text));
}

bool st_str_eq_str(const st_string *a, const st_string *b) {
    return a && b && a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

bool st_str_has_prefix(const st_string *s, const char *prefix) {
    if (!s || !prefix) return false;
    size_t n = strlen(prefix);
    return s->len >= n && (n == 0 || memcmp(s->ptr, prefix, n) == 0);
}

bool st_str_has_suffix(const st_string *s, const char *suffix) {
    if (!s || !suffix) return false;
    size_t n = strlen(suffix);
    return s->len >= n && (n == 0 || memcmp(s->ptr + s->len - n, suffix, n) == 0);
}

bool st_str_contains(const st_string *s, const char *needle) {
    if (!s || !needle) return false;
    size_t n = strlen(needle);
    if (n == 0) return true;
    /* No memmem in strict C11; haystacks here are paths and names, so the
     * quadratic worst case is bounded by small inputs. */
    for (size_t i = 0; i + n <= s->len; i++)
        if (s->ptr[i] == (uint8_t)needle[0] && memcmp(s->ptr + i, needle, n) == 0) return true;
    return false;
}

char *st_str_dup(const st_string *s) {
    size_t n = s ? s->len : 0;
    char *out = st__xrealloc(NULL, n + 1);
    if (n) memcpy(out, s->ptr, n);
    out[n] = 0;
    return out;
}

char *st_strdup(const char *s) {
    size_t n = s ? strlen(s) : 0;
    char *out = st__xrealloc(NULL, n + 1);
    if (n) memcpy(out, s, n);
    out[n] = 0;
    return out;
}

char *st_format(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    st_string s = st__vformat(fmt, ap);
    va_end(ap);
    return s.len ? (char *)s.ptr : st_strdup("");
}

void st_strlist_pushn(st_strlist *list, const char *s, size_t len) {
    st_string *slot = ST__PUSH(list);
    *slot = st__string(s, len);
}

void st_strlist_push(st_strlist *list, const char *s) {
    st_strlist_pushn(list, s, s ? strlen(s) : 0);
}

void st_strlist_push_str(st_strlist *list, const st_string *s) {
    st_strlist_pushn(list, s ? (const char *)s->ptr : NULL, s ? s->len : 0);
}

void st_strlist_pushf(st_strlist *list, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    st_string s = st__vformat(fmt, ap);
    va_end(ap);
    st_string *slot = ST__PUSH(list);
    *slot = s;
}

const char *st_strlist_get(const st_strlist *list, size_t i) {
    return (list && i < list->len) ? st_cstr(&list->ptr[i]) : NULL;
}

bool st_strlist_contains(const st_strlist *list, const char *s) {
    if (!list || !s) return false;
    for (size_t i = 0; i < list->len; i++)
        if (st_str_eq(&list->ptr[i], s)) return true;
    return false;
}

bool st_strlist_contains_str(const st_strlist *list, const st_string *s) {
    if (!list || !s) return false;
    for (size_t i = 0; i < list->len; i++)
        if (st_str_eq_str(&list->ptr[i], s)) return true;
    return false;
}

void st_strlist_free(st_strlist *list) {
    if (!list) return;
    detector_list_string_free(list);
    list->ptr = NULL;
    list->len = 0;
}

/* ---------------------------------------------------------------- events */

/*
 * The decoder of docs/wire-encoding.md, a transcription of the reference
 * reader (guest-sdk/wire/src/read.rs): every read checks its bounds and a
 * malformed field reads as absent, because the bytes cross a trust
 * boundary. Offsets are 32-bit values from the buffer and size_t is 32-bit
 * on wasm32, so bounds are computed in 64 bits, where `offset + length`
 * cannot wrap. Fields are unaligned, hence memcpy rather than loads.
 */

#define ST__HEADER_LEN 104u
#define ST__ARG_LEN 24u

enum {
    ST__AT_SEQ = 0,
    ST__AT_TIMESTAMP = 8,
    ST__AT_ENTITY_ID = 16,
    ST__AT_PARENT_ENTITY_ID = 24,
    ST__AT_START_TICKS = 32,
    ST__AT_CGROUP_ID = 40,
    ST__AT_PID = 48,
    ST__AT_TID = 52,
    ST__AT_PPID = 56,
    ST__AT_UID = 60,
    ST__AT_GID = 64,
    ST__AT_NAME = 68,
    ST__AT_COMM = 76,
    ST__AT_EXE = 84,
    ST__AT_CONTAINER_ID = 92,
    ST__AT_ARG_COUNT = 100,
};

/* Where empty and absent strings point: st_string has no const, and a
 * zero-length view must still hold a valid address. */
static uint8_t st__empty[1];

static bool st__fits(size_t len, uint64_t at, uint64_t n) { return at <= len && n <= len - at; }

static bool st__u32(const uint8_t *b, size_t len, uint64_t at, uint32_t *out) {
    if (!st__fits(len, at, 4)) return false;
    uint32_t v;
    memcpy(&v, b + at, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    *out = v;
    return true;
}

static bool st__u64(const uint8_t *b, size_t len, uint64_t at, uint64_t *out) {
    if (!st__fits(len, at, 8)) return false;
    uint64_t v;
    memcpy(&v, b + at, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    *out = v;
    return true;
}

/* The bytes an (offset, length) pair at `at` points to. */
static bool st__bytes(const uint8_t *b, size_t len, uint64_t at, const uint8_t **ptr, size_t *n) {
    uint32_t off, count;
    if (!st__u32(b, len, at, &off) || !st__u32(b, len, at + 4, &count) || !st__fits(len, off, count))
        return false;
    *ptr = b + off;
    *n = count;
    return true;
}

/* Strict UTF-8 as Rust's str::from_utf8 accepts it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. The host only writes UTF-8; this
 * keeps a corrupted buffer from reaching the detector as text. The length
 * of the well-formed non-ASCII character at s[0] (n > 0 bytes available),
 * or 0 when it is malformed. */
static size_t st__utf8_char(const uint8_t *s, size_t n) {
    uint8_t c = s[0];
    size_t more;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        more = 1;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        more = 2;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        more = 3;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (n - 1 < more) return 0;
    for (size_t k = 1; k <= more; k++) {
        uint8_t cc = s[k];
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3Fu);
    }
    if (more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
    if (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
    return more + 1;
}

static bool st__utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = st__utf8_char(s + i, n - i);
        if (k == 0) return false;
        i += k;
    }
    return true;
}

static bool st__str(const uint8_t *b, size_t len, uint64_t at, st_string *out) {
    const uint8_t *p;
    size_t n;
    if (!st__bytes(b, len, at, &p, &n) || !st__utf8(p, n)) return false;
    /* A view into the batch: const in spirit, never freed or written. */
    out->ptr = n ? (uint8_t *)(uintptr_t)p : st__empty;
    out->len = n;
    return true;
}

/* The absent-reads-as-empty forms every accessor uses, events and store
 * records alike: a NULL or short buffer reads as 0 / "" / an empty list. */
static st_string st__str_in(const uint8_t *b, size_t len, uint64_t at) {
    st_string s = {st__empty, 0};
    if (!b || !st__str(b, len, at, &s)) s = (st_string){st__empty, 0};
    return s;
}

static uint64_t st__u64_in(const uint8_t *b, size_t len, uint64_t at) {
    uint64_t v = 0;
    return (b && st__u64(b, len, at, &v)) ? v : 0;
}

static uint32_t st__u32_in(const uint8_t *b, size_t len, uint64_t at) {
    uint32_t v = 0;
    return (b && st__u32(b, len, at, &v)) ? v : 0;
}

static uint8_t st__u8_in(const uint8_t *b, size_t len, uint64_t at) {
    return (b && st__fits(len, at, 1)) ? b[at] : 0;
}

/* The str-list whose (offset, count) pair is at `at`; false when its table
 * does not fit, which makes the whole list absent (a count is never cut
 * here: a table that does not fit says the pair is corrupt). */
static bool st__strlist(const uint8_t *b, size_t len, uint64_t at, st_list *out) {
    uint32_t off, count;
    if (!st__u32(b, len, at, &off) || !st__u32(b, len, at + 4, &count) ||
        !st__fits(len, off, (uint64_t)count * 8))
        return false;
    *out = (st_list){b, len, off, count};
    return true;
}

static st_list st__strlist_in(const uint8_t *b, size_t len, uint64_t at) {
    st_list l = {st__empty, 0, 0, 0};
    if (!b || !st__strlist(b, len, at, &l)) l = (st_list){st__empty, 0, 0, 0};
    return l;
}

#define ST__EV(ev) ((ev) ? (ev)->bytes : NULL), ((ev) ? (ev)->len : 0)

/*
 * Framing shared by event batches and store answers: a u32 count, a table
 * of u32 starts, then the items. The count is cut to the table that fits;
 * item i runs from its start to the next one's (the last to the end), and
 * bounds that are out of order or past the end give an empty item.
 */
static size_t st__frame_count(const uint8_t *bytes, size_t len) {
    uint32_t announced = 0;
    if (bytes) st__u32(bytes, len, 0, &announced);
    size_t fits = len >= 4 ? (len - 4) / 4 : 0;
    return announced < fits ? announced : fits;
}

/* Item i as (*item, *item_len); false only past the end. */
static bool st__frame(const uint8_t *bytes, size_t len, size_t count, size_t i, const uint8_t **item,
                      size_t *item_len) {
    if (!bytes || i >= count) return false;
    *item = st__empty;
    *item_len = 0;
    uint32_t start, next;
    uint64_t end = len;
    if (!st__u32(bytes, len, 4 + 4 * (uint64_t)i, &start)) return true;
    if (i + 1 < count) {
        if (!st__u32(bytes, len, 4 + 4 * ((uint64_t)i + 1), &next)) return true;
        end = next;
    }
    if (start > end || end > len) return true;
    *item = bytes + start;
    *item_len = (size_t)(end - start);
    return true;
}

st_batch st_batch_view(const uint8_t *bytes, size_t len) {
    st_batch batch = {bytes, bytes ? len : 0, 0};
    batch.count = st__frame_count(batch.bytes, batch.len);
    return batch;
}

st_event st_batch_event(const st_batch *batch, size_t i) {
    st_event ev = {st__empty, 0};
    if (batch) st__frame(batch->bytes, batch->len, batch->count, i, &ev.bytes, &ev.len);
    return ev;
}

st_string st_event_name(const st_event *ev) { return st__str_in(ST__EV(ev), ST__AT_NAME); }

bool st_event_is(const st_event *ev, const char *name) {
    st_string n = st_event_name(ev);
    return st_str_eq(&n, name);
}

uint64_t st_event_seq(const st_event *ev) { return st__u64_in(ST__EV(ev), ST__AT_SEQ); }
uint64_t st_event_timestamp(const st_event *ev) { return st__u64_in(ST__EV(ev), ST__AT_TIMESTAMP); }
uint64_t st_event_entity_id(const st_event *ev) { return st__u64_in(ST__EV(ev), ST__AT_ENTITY_ID); }
uint64_t st_event_parent_entity_id(const st_event *ev) { return st__u64_in(ST__EV(ev), ST__AT_PARENT_ENTITY_ID); }
uint64_t st_event_start_ticks(const st_event *ev) { return st__u64_in(ST__EV(ev), ST__AT_START_TICKS); }
uint64_t st_event_cgroup_id(const st_event *ev) { return st__u64_in(ST__EV(ev), ST__AT_CGROUP_ID); }
uint32_t st_event_pid(const st_event *ev) { return st__u32_in(ST__EV(ev), ST__AT_PID); }
uint32_t st_event_tid(const st_event *ev) { return st__u32_in(ST__EV(ev), ST__AT_TID); }
uint32_t st_event_ppid(const st_event *ev) { return st__u32_in(ST__EV(ev), ST__AT_PPID); }
uint32_t st_event_uid(const st_event *ev) { return st__u32_in(ST__EV(ev), ST__AT_UID); }
uint32_t st_event_gid(const st_event *ev) { return st__u32_in(ST__EV(ev), ST__AT_GID); }
st_string st_event_comm(const st_event *ev) { return st__str_in(ST__EV(ev), ST__AT_COMM); }
st_string st_event_exe(const st_event *ev) { return st__str_in(ST__EV(ev), ST__AT_EXE); }
st_string st_event_container_id(const st_event *ev) { return st__str_in(ST__EV(ev), ST__AT_CONTAINER_ID); }

size_t st_arg_count(const st_event *ev) {
    uint32_t n = 0;
    if (!ev || !st__u32(ev->bytes, ev->len, ST__AT_ARG_COUNT, &n)) return 0;
    /* No more entries than the event can hold, whatever the count says. */
    size_t fits = ev->len > ST__HEADER_LEN ? (ev->len - ST__HEADER_LEN) / ST__ARG_LEN : 0;
    return n < fits ? n : fits;
}

/* Decodes the argument entry at `entry` of the event or output record `b`;
 * false when any part of it is malformed or its kind unknown, which makes
 * the whole argument absent. */
static bool st__arg_at(const uint8_t *b, size_t len, uint64_t entry, st_arg_view *out) {
    st_arg_view a;
    memset(&a, 0, sizeof a);
    if (!st__str(b, len, entry, &a.name) || !st__fits(len, entry + 8, 1)) return false;
    a.kind = b[entry + 8];
    uint64_t p = entry + 16;
    uint64_t v;
    switch (a.kind) {
    case ST_VALUE_STR:
        if (!st__str(b, len, p, &a.val.str)) return false;
        break;
    case ST_VALUE_INT:
        if (!st__u64(b, len, p, &v)) return false;
        /* Two's complement by conversion through the bits, not a cast. */
        memcpy(&a.val.int_, &v, sizeof v);
        break;
    case ST_VALUE_UINT:
        if (!st__u64(b, len, p, &a.val.uint)) return false;
        break;
    case ST_VALUE_BOOL:
        if (!st__u64(b, len, p, &v)) return false;
        a.val.boolean = v != 0;
        break;
    case ST_VALUE_BYTES:
        if (!st__bytes(b, len, p, &a.val.bytes.ptr, &a.val.bytes.len)) return false;
        if (a.val.bytes.len == 0) a.val.bytes.ptr = st__empty;
        break;
    case ST_VALUE_STR_LIST:
        if (!st__strlist(b, len, p, &a.val.str_list)) return false;
        break;
    default:
        return false;
    }
    *out = a;
    return true;
}

bool st_arg_at(const st_event *ev, size_t i, st_arg_view *out) {
    if (!ev || !out || i >= st_arg_count(ev)) return false;
    return st__arg_at(ev->bytes, ev->len, ST__HEADER_LEN + (uint64_t)i * ST__ARG_LEN, out);
}

bool st_arg(const st_event *ev, const char *name, st_arg_view *out) {
    if (!ev || !name || !out) return false;
    size_t want = strlen(name);
    size_t count = st_arg_count(ev);
    for (size_t i = 0; i < count; i++) {
        uint64_t entry = ST__HEADER_LEN + (uint64_t)i * ST__ARG_LEN;
        const uint8_t *p;
        size_t n;
        /* Only names are compared on the way: no other argument is decoded.
         * The first match is the argument even when it is malformed, as in
         * the host, so a later duplicate never stands in for it. */
        if (st__bytes(ev->bytes, ev->len, entry, &p, &n) && n == want && (n == 0 || memcmp(p, name, n) == 0))
            return st__arg_at(ev->bytes, ev->len, entry, out);
    }
    return false;
}

bool st_arg_str(const st_event *ev, const char *name, st_string *out) {
    st_arg_view a;
    if (!out || !st_arg(ev, name, &a) || a.kind != ST_VALUE_STR) return false;
    *out = a.val.str;
    return true;
}

bool st_arg_uint(const st_event *ev, const char *name, uint64_t *out) {
    st_arg_view a;
    if (!out || !st_arg(ev, name, &a)) return false;
    if (a.kind == ST_VALUE_UINT) {
        *out = a.val.uint;
        return true;
    }
    if (a.kind == ST_VALUE_INT && a.val.int_ >= 0) {
        *out = (uint64_t)a.val.int_;
        return true;
    }
    return false;
}

bool st_arg_int(const st_event *ev, const char *name, int64_t *out) {
    st_arg_view a;
    if (!out || !st_arg(ev, name, &a)) return false;
    if (a.kind == ST_VALUE_INT) {
        *out = a.val.int_;
        return true;
    }
    if (a.kind == ST_VALUE_UINT && a.val.uint <= (uint64_t)INT64_MAX) {
        *out = (int64_t)a.val.uint;
        return true;
    }
    return false;
}

bool st_arg_bool(const st_event *ev, const char *name, bool *out) {
    st_arg_view a;
    if (!out || !st_arg(ev, name, &a) || a.kind != ST_VALUE_BOOL) return false;
    *out = a.val.boolean;
    return true;
}

bool st_arg_list(const st_event *ev, const char *name, st_list *out) {
    st_arg_view a;
    if (!out || !st_arg(ev, name, &a) || a.kind != ST_VALUE_STR_LIST) return false;
    *out = a.val.str_list;
    return true;
}

bool st_arg_bytes(const st_event *ev, const char *name, const uint8_t **data, size_t *len) {
    st_arg_view a;
    if (!data || !len || !st_arg(ev, name, &a) || a.kind != ST_VALUE_BYTES) return false;
    *data = a.val.bytes.ptr;
    *len = a.val.bytes.len;
    return true;
}

size_t st_list_len(const st_list *list) { return list ? list->count : 0; }

bool st_list_get(const st_list *list, size_t i, st_string *out) {
    if (!list || !out || i >= list->count) return false;
    if (!st__str(list->base, list->base_len, list->table + (uint64_t)i * 8, out))
        *out = (st_string){st__empty, 0};
    return true;
}

bool st_list_contains(const st_list *list, const char *s) {
    st_string item;
    for (size_t i = 0; list && s && st_list_get(list, i, &item); i++)
        if (st_str_eq(&item, s)) return true;
    return false;
}

void st_list_copy(const st_list *list, st_strlist *out) {
    st_string item;
    for (size_t i = 0; list && out && st_list_get(list, i, &item); i++) st_strlist_push_str(out, &item);
}

/* ----------------------------------------------------------- description */

static void st__replace(st_string *dst, const char *s) {
    detector_string_free(dst);
    *dst = st__cstring(s);
}

void st_desc_id(st_desc *d, const char *id, const char *name, const char *version) {
    st__replace(&d->id, id);
    st__replace(&d->name, name);
    st__replace(&d->version, version);
}

void st_desc_text(st_desc *d, const char *text) { st__replace(&d->description, text); }

void st_desc_select(st_desc *d, const char *event) {
    exports_sandtrap_detector_guest_selector_t *s = ST__PUSH(&d->selectors);
    s->event = st__cstring(event);
}

void st_desc_filter(st_desc *d, const char *field, st_filter_op op, const char *value) {
    if (d->selectors.len == 0) {
        /* A programming error. Dropping the filter widens nothing (there is
         * no selector yet) and keeps the description loadable; the log line
         * says what happened. */
        st_log_error("st_desc_filter(%s) before any st_desc_select: ignored", field ? field : "");
        return;
    }
    exports_sandtrap_detector_guest_selector_t *s = &d->selectors.ptr[d->selectors.len - 1];
    exports_sandtrap_detector_guest_field_filter_t *f = ST__PUSH(&s->filters);
    f->field = st__cstring(field);
    f->op = op;
    f->value = st__cstring(value);
}

void st_desc_requires(st_desc *d, const char *store) { st_strlist_push(&d->required_stores, store); }

void st_desc_uses(st_desc *d, const char *store) { st_strlist_push(&d->optional_stores, store); }

void st_desc_finding(st_desc *d, const char *name, st_severity severity) {
    st__replace(&d->finding.name, name);
    d->finding.severity = severity;
}

void st_desc_finding_text(st_desc *d, const char *text) { st__replace(&d->finding.description, text); }

void st_desc_mitre(st_desc *d, const char *tactic, const char *technique) {
    st__replace(&d->finding.mitre_tactic, tactic);
    st__replace(&d->finding.mitre_technique, technique);
}

void st_desc_field(st_desc *d, const char *name) { st_strlist_push(&d->finding.fields, name); }

void st_desc_fields_(st_desc *d, ...) {
    va_list ap;
    va_start(ap, d);
    for (const char *name; (name = va_arg(ap, const char *)) != NULL;) st_desc_field(d, name);
    va_end(ap);
}

/* ------------------------------------------------------------ detections */

st_detection *st_detect(st_detections *out) { return ST__PUSH(out); }

void st_set_severity(st_detection *det, st_severity severity) {
    det->severity.is_some = true;
    det->severity.val = severity;
}

static st_value *st__field(st_detection *det, const char *name, uint8_t tag) {
    st_field *f = ST__PUSH(&det->fields);
    f->name = st__cstring(name);
    f->value.tag = tag;
    return &f->value;
}

void st_field_strn(st_detection *det, const char *name, const char *value, size_t len) {
    st__field(det, name, ST_VALUE_STR)->val.str = st__string(value, len);
}

void st_field_str(st_detection *det, const char *name, const char *value) {
    st_field_strn(det, name, value, value ? strlen(value) : 0);
}

void st_field_string(st_detection *det, const char *name, const st_string *value) {
    st_field_strn(det, name, value ? (const char *)value->ptr : NULL, value ? value->len : 0);
}

void st_field_fmt(st_detection *det, const char *name, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    st_string s = st__vformat(fmt, ap);
    va_end(ap);
    st__field(det, name, ST_VALUE_STR)->val.str = s;
}

void st_field_int(st_detection *det, const char *name, int64_t value) {
    st__field(det, name, ST_VALUE_INT)->val.int_ = value;
}

void st_field_uint(st_detection *det, const char *name, uint64_t value) {
    st__field(det, name, ST_VALUE_UINT)->val.uint = value;
}

void st_field_bool(st_detection *det, const char *name, bool value) {
    st__field(det, name, ST_VALUE_BOOL)->val.boolean = value;
}

void st_field_bytes(st_detection *det, const char *name, const uint8_t *data, size_t len) {
    st_value *v = st__field(det, name, ST_VALUE_BYTES);
    v->val.bytes.ptr = NULL;
    v->val.bytes.len = 0;
    if (data && len) {
        v->val.bytes.ptr = st__xrealloc(NULL, len);
        memcpy(v->val.bytes.ptr, data, len);
        v->val.bytes.len = len;
    }
}

void st_field_strlist(st_detection *det, const char *name, st_strlist *list) {
    st_value *v = st__field(det, name, ST_VALUE_STR_LIST);
    if (list) {
        v->val.str_list = *list;
        list->ptr = NULL;
        list->len = 0;
    }
}

/* ---------------------------------------------------------------- output */

/*
 * The encoder of docs/wire-encoding.md, "Output", a transcription of the
 * reference encoder (OutputFields in guest-sdk/wire/src/write.rs): each
 * record's fixed part and field table, then its data in the canonical
 * order (an error's message; per field, its name's bytes, then its value's
 * data, a str-list's table before its strings), so that it reproduces
 * output.bin byte for byte. Records are appended one by one; the frame (the
 * count and the table of starts) is only known at the end of the batch and
 * is put in front by st_output_finish.
 *
 * The host traps on anything it cannot read, so the encoder only ever
 * writes what it accepts: UTF-8 text, known kinds, severities 0–5, and at
 * most ST_OUTPUT_LIMIT bytes in all.
 */

enum {
    ST__OUT_INDEX = 0,
    ST__OUT_KIND = 4,
    ST__OUT_SEVERITY = 5,
    ST__OUT_MESSAGE = 8,
    ST__OUT_FIELD_COUNT = 16,
    ST__OUT_LEN = 20,
};

/* Room kept under the limit for the error records that stand for an
 * event's output that was cut, so that the host still learns of it. */
#define ST__NOTICE_RESERVE ((size_t)64 << 10)
#define ST__NOTICE "output of this event dropped: the batch's report would pass the host's 4 MiB limit"

static void st__le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void st__le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Appends `n` zeroed bytes; returns where they start. Callers bound `n`
 * by ST_OUTPUT_LIMIT first, so the doubling cannot overflow. */
static size_t st__out_grow(st_output *o, size_t n) {
    if (n > o->cap - o->len) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap - o->len < n) cap *= 2;
        o->bytes = st__xrealloc(o->bytes, cap);
        o->cap = cap;
    }
    size_t at = o->len;
    memset(o->bytes + at, 0, n);
    o->len += n;
    return at;
}

/* One record being written: it starts at `rec`, and `over` says it has
 * outgrown the limit, which stops every further write to it. */
typedef struct st__rec {
    st_output *o;
    size_t rec;
    bool over;
} st__rec;

/* Whether `n` more bytes keep the record within the limit (offsets in a
 * record are u32: the limit also keeps them in range). */
static bool st__out_room(st__rec *w, size_t n) {
    if (!w->over && n > ST_OUTPUT_LIMIT - (w->o->len - w->rec)) w->over = true;
    return !w->over;
}

/* Points the (offset, length) pair at `at` of the record to `n` bytes
 * appended now. An empty one stays (0, 0), as the encoding writes it. */
static void st__out_span(st__rec *w, size_t at, const uint8_t *p, size_t n) {
    if (n == 0 || !st__out_room(w, n)) return;
    size_t off = st__out_grow(w->o, n);
    memcpy(w->o->bytes + off, p, n);
    st__le32(w->o->bytes + w->rec + at, (uint32_t)(off - w->rec));
    st__le32(w->o->bytes + w->rec + at + 4, (uint32_t)n);
}

/* Lossy UTF-8: each byte that does not start a well-formed character
 * becomes U+FFFD. Writes to `out` when not NULL; returns the length. */
static size_t st__lossy(const uint8_t *s, size_t n, uint8_t *out) {
    static const uint8_t replacement[3] = {0xEF, 0xBF, 0xBD};
    size_t len = 0;
    for (size_t i = 0; i < n;) {
        size_t k = s[i] < 0x80 ? 1 : st__utf8_char(s + i, n - i);
        const uint8_t *from = k ? s + i : replacement;
        size_t m = k ? k : sizeof replacement;
        if (out) memcpy(out + len, from, m);
        len += m;
        i += k ? k : 1;
    }
    return len;
}

/* Text the host would refuse (st_field_strn and st_fail take any bytes)
 * is repaired rather than reported as is, which would trap. */
static void st__out_text(st__rec *w, size_t at, const uint8_t *p, size_t n) {
    if (!p) n = 0;
    if (st__utf8(p, n)) {
        st__out_span(w, at, p, n);
        return;
    }
    size_t m = st__lossy(p, n, NULL);
    if (!st__out_room(w, m)) return;
    size_t off = st__out_grow(w->o, m);
    st__lossy(p, n, w->o->bytes + off);
    st__le32(w->o->bytes + w->rec + at, (uint32_t)(off - w->rec));
    st__le32(w->o->bytes + w->rec + at + 4, (uint32_t)m);
}

/* A str-list: its table, then its strings. An empty list still records
 * where its table would start. */
static void st__out_list(st__rec *w, size_t at, const st_strlist *l) {
    size_t n = l->ptr ? l->len : 0;
    if (n > ST_OUTPUT_LIMIT / 8 || !st__out_room(w, 8 * n)) {
        w->over = true;
        return;
    }
    size_t table = st__out_grow(w->o, 8 * n) - w->rec;
    st__le32(w->o->bytes + w->rec + at, (uint32_t)table);
    st__le32(w->o->bytes + w->rec + at + 4, (uint32_t)n);
    for (size_t j = 0; j < n && !w->over; j++) st__out_text(w, table + 8 * j, l->ptr[j].ptr, l->ptr[j].len);
}

/* Starts a record of `fixed` bytes; false (nothing written) when even that
 * cannot fit or the output was already framed. */
static bool st__out_begin(st_output *o, st__rec *w, size_t fixed) {
    *w = (st__rec){o, o ? o->len : 0, false};
    if (!o || o->framed) return false;
    if (!st__out_room(w, fixed)) return false;
    st__out_grow(o, fixed);
    return true;
}

static void st__out_push_start(st_output *o, size_t start) {
    if (o->count == o->starts_cap) {
        o->starts_cap = o->starts_cap ? 2 * o->starts_cap : 64;
        o->starts = st__xrealloc(o->starts, o->starts_cap * sizeof *o->starts);
    }
    o->starts[o->count++] = (uint32_t)start;
}

/* The framed size with `extra` more bytes and one more record. */
static size_t st__out_framed(const st_output *o, size_t extra) { return 4 + 4 * (o->count + 1) + o->len + extra; }

static void st__out_notice(st_output *o, uint32_t index);

/* Keeps the record, or takes it back when it did not fit: an event's
 * output is then replaced by one notice (below), within the room kept. */
static bool st__out_end(st__rec *w, bool begun, uint32_t index) {
    st_output *o = w->o;
    if (!o || o->framed) return false;
    if (begun && !w->over && st__out_framed(o, 0) <= ST_OUTPUT_LIMIT - ST__NOTICE_RESERVE) {
        st__out_push_start(o, w->rec);
        return true;
    }
    o->len = w->rec;
    o->dropped++;
    st__out_notice(o, index);
    return false;
}

static void st__out_notice(st_output *o, uint32_t index) {
    if (o->notice_index == (uint64_t)index + 1) return; /* one per event */
    size_t text = sizeof ST__NOTICE - 1;
    if (st__out_framed(o, ST__OUT_LEN + text) > ST_OUTPUT_LIMIT) return;
    o->notice_index = (uint64_t)index + 1;
    st__rec w = {o, o->len, false};
    st__out_grow(o, ST__OUT_LEN);
    st__le32(o->bytes + w.rec + ST__OUT_INDEX, index);
    o->bytes[w.rec + ST__OUT_KIND] = ST_OUTPUT_ERROR;
    st__out_text(&w, ST__OUT_MESSAGE, (const uint8_t *)ST__NOTICE, text);
    st__out_push_start(o, w.rec);
}

bool st_output_detection(st_output *o, uint32_t index, const st_detection *det) {
    if (!o || !det) return false;
    st__rec w;
    size_t n = det->fields.ptr ? det->fields.len : 0;
    bool begun = n <= (ST_OUTPUT_LIMIT - ST__OUT_LEN) / ST__ARG_LEN &&
                 st__out_begin(o, &w, ST__OUT_LEN + n * ST__ARG_LEN);
    if (!begun) {
        w = (st__rec){o, o->len, true};
        return st__out_end(&w, false, index);
    }
    uint8_t *r = o->bytes + w.rec;
    st__le32(r + ST__OUT_INDEX, index);
    r[ST__OUT_KIND] = ST_OUTPUT_DETECTION;
    /* 0 keeps the definition's severity; ST_INFO..ST_CRITICAL are 1..5. */
    bool sev = det->severity.is_some && det->severity.val <= ST_CRITICAL;
    r[ST__OUT_SEVERITY] = sev ? (uint8_t)(det->severity.val + 1) : 0;
    size_t written = 0;
    for (size_t i = 0; i < n && !w.over; i++) {
        const st_field *f = &det->fields.ptr[i];
        /* A tag set by hand to something else would make the host trap:
         * the field is left out, and the count below keeps its zeroed
         * entry at the end of the table out of the record. */
        if (f->value.tag > ST_VALUE_STR_LIST) continue;
        size_t entry = ST__OUT_LEN + written * ST__ARG_LEN;
        size_t payload = entry + 16;
        st__out_text(&w, entry, f->name.ptr, f->name.len);
        w.o->bytes[w.rec + entry + 8] = f->value.tag;
        const st_value *v = &f->value;
        switch (v->tag) {
        case ST_VALUE_STR: st__out_text(&w, payload, v->val.str.ptr, v->val.str.len); break;
        case ST_VALUE_INT: st__le64(w.o->bytes + w.rec + payload, (uint64_t)v->val.int_); break;
        case ST_VALUE_UINT: st__le64(w.o->bytes + w.rec + payload, v->val.uint); break;
        case ST_VALUE_BOOL: st__le64(w.o->bytes + w.rec + payload, v->val.boolean ? 1 : 0); break;
        case ST_VALUE_BYTES:
            st__out_span(&w, payload, v->val.bytes.ptr, v->val.bytes.ptr ? v->val.bytes.len : 0);
            break;
        case ST_VALUE_STR_LIST: st__out_list(&w, payload, &v->val.str_list); break;
        }
        written++;
    }
    st__le32(w.o->bytes + w.rec + ST__OUT_FIELD_COUNT, (uint32_t)written);
    return st__out_end(&w, true, index);
}

bool st_output_error(st_output *o, uint32_t index, const char *message, size_t len) {
    st__rec w;
    bool begun = st__out_begin(o, &w, ST__OUT_LEN);
    if (begun) {
        st__le32(o->bytes + w.rec + ST__OUT_INDEX, index);
        o->bytes[w.rec + ST__OUT_KIND] = ST_OUTPUT_ERROR;
        st__out_text(&w, ST__OUT_MESSAGE, (const uint8_t *)message, message ? len : 0);
    }
    return st__out_end(&w, begun, index);
}

size_t st_output_count(const st_output *o) { return o ? o->count : 0; }

void st_output_finish(st_output *o, const uint8_t **bytes, size_t *len) {
    if (!o) {
        *bytes = st__empty;
        *len = 0;
        return;
    }
    if (!o->framed) {
        /* The frame goes in front of the records: one move per batch
         * rather than a second buffer. Starts become offsets from the
         * list's first byte. */
        size_t head = 4 + 4 * o->count;
        size_t body = o->len;
        st__out_grow(o, head);
        memmove(o->bytes + head, o->bytes, body);
        st__le32(o->bytes, (uint32_t)o->count);
        for (size_t i = 0; i < o->count; i++) st__le32(o->bytes + 4 + 4 * i, (uint32_t)(o->starts[i] + head));
        o->framed = true;
    }
    *bytes = o->bytes ? o->bytes : st__empty;
    *len = o->len;
}

void st_output_reset(st_output *o) {
    if (!o) return;
    o->len = 0;
    o->count = 0;
    o->framed = false;
    o->notice_index = 0;
    o->dropped = 0;
}

void st_output_free(st_output *o) {
    if (!o) return;
    free(o->bytes);
    free(o->starts);
    memset(o, 0, sizeof *o);
}

/* Reading: the framing and argument entries of events, at the offsets of
 * an output record. */

st_output_list st_output_list_view(const uint8_t *bytes, size_t size) {
    st_output_list l = {bytes && size ? bytes : st__empty, bytes ? size : 0, 0};
    l.len = st__frame_count(l.bytes, l.size);
    return l;
}

bool st_output_list_get(const st_output_list *list, size_t i, st_output_record *out) {
    if (!list || !out) return false;
    out->bytes = st__empty;
    out->len = 0;
    return st__frame(list->bytes, list->size, list->len, i, &out->bytes, &out->len);
}

uint32_t st_output_record_index(const st_output_record *r) { return st__u32_in(ST__EV(r), ST__OUT_INDEX); }

uint8_t st_output_record_kind(const st_output_record *r) {
    /* A record too short for its fixed part is neither kind. */
    return r && r->len >= ST__OUT_LEN ? r->bytes[ST__OUT_KIND] : 0xFF;
}

uint8_t st_output_record_severity(const st_output_record *r) { return st__u8_in(ST__EV(r), ST__OUT_SEVERITY); }

st_string st_output_record_message(const st_output_record *r) { return st__str_in(ST__EV(r), ST__OUT_MESSAGE); }

size_t st_output_record_field_count(const st_output_record *r) {
    uint32_t n = st__u32_in(ST__EV(r), ST__OUT_FIELD_COUNT);
    size_t fits = r && r->len > ST__OUT_LEN ? (r->len - ST__OUT_LEN) / ST__ARG_LEN : 0;
    return n < fits ? n : fits;
}

bool st_output_record_field(const st_output_record *r, size_t i, st_arg_view *out) {
    if (!out || i >= st_output_record_field_count(r)) return false;
    return st__arg_at(r->bytes, r->len, ST__OUT_LEN + (uint64_t)i * ST__ARG_LEN, out);
}

/* --------------------------------------------------------- configuration */

const char *st_config_get(const st_config *config, const char *key) {
    if (!config || !key) return NULL;
    size_t n = strlen(key);
    for (size_t i = config->len; i-- > 0;)
        if (st__eqn(&config->ptr[i].f0, key, n)) return st_cstr(&config->ptr[i].f1);
    return NULL;
}

bool st_config_list(const st_config *config, const char *key, st_strlist *out) {
    const char *v = st_config_get(config, key);
    if (!v) return false;
    while (*v) {
        while (*v == ',' || isspace((unsigned char)*v)) v++;
        const char *start = v;
        while (*v && *v != ',' && !isspace((unsigned char)*v)) v++;
        if (v > start) st_strlist_pushn(out, start, (size_t)(v - start));
    }
    return true;
}

bool st_config_u64(const st_config *config, const char *key, uint64_t def, uint64_t *out,
                   st_error *err) {
    const char *v = st_config_get(config, key);
    if (!v) {
        *out = def;
        return true;
    }
    while (isspace((unsigned char)*v)) v++;
    char *end = NULL;
    errno = 0;
    unsigned long long n = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
    if (end) while (isspace((unsigned char)*end)) end++;
    if (!end || *end || errno == ERANGE)
        return st_fail(err, "config \"%s\": \"%s\" is not a number", key, st_config_get(config, key));
    *out = (uint64_t)n;
    return true;
}

static bool st__ieq(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

bool st_config_bool(const st_config *config, const char *key, bool def, bool *out, st_error *err) {
    const char *v = st_config_get(config, key);
    if (!v) {
        *out = def;
        return true;
    }
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (st__ieq(v, yes[i])) {
            *out = true;
            return true;
        }
        if (st__ieq(v, no[i])) {
            *out = false;
            return true;
        }
    }
    return st_fail(err, "config \"%s\": \"%s\" is not a boolean", key, v);
}

size_t st_config_count(const st_config *config) { return config ? config->len : 0; }

bool st_config_entry(const st_config *config, size_t i, const char **key, const char **value) {
    if (!config || i >= config->len) return false;
    *key = st_cstr(&config->ptr[i].f0);
    *value = st_cstr(&config->ptr[i].f1);
    return true;
}

/* ------------------------------------------------------------------- log */

void st_log(st_log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    st_string s = st__vformat(fmt, ap);
    va_end(ap);
    sandtrap_detector_host_log(level, &s);
    detector_string_free(&s);
}

uint64_t st_now(void) { return sandtrap_detector_host_now(); }

/* ---------------------------------------------------------------- stores */

/* Converts (and frees) a store error from the bindings. */
static bool st__store_failed(sandtrap_detector_types_store_error_t *e, st_store_error *out) {
    if (out) {
        out->kind = (st_store_error_kind)e->tag;
        switch (e->tag) {
        case ST_NOT_FOUND: snprintf(out->text, sizeof out->text, "not found"); break;
        case ST_STORE_UNHEALTHY: snprintf(out->text, sizeof out->text, "store unhealthy"); break;
        case ST_NOT_IMPLEMENTED: snprintf(out->text, sizeof out->text, "not implemented"); break;
        case ST_INVALID_ARGUMENT:
            snprintf(out->text, sizeof out->text, "invalid argument: %.*s",
                     (int)e->val.invalid_argument.len, st_cstr(&e->val.invalid_argument));
            break;
        default: snprintf(out->text, sizeof out->text, "store error %u", (unsigned)e->tag); break;
        }
    }
    sandtrap_detector_types_store_error_free(e);
    return false;
}

#define ST__CALL(call)                                                                           \
    do {                                                                                         \
        sandtrap_detector_types_store_error_t e_;                                                \
        memset(out, 0, sizeof *out);                                                             \
        return (call) ? true : st__store_failed(&e_, err);                                       \
    } while (0)

/* Store answers ----------------------------------------------------------
 *
 * Offsets of the fixed fields of each record kind (docs/wire-encoding.md,
 * "Store answers"). Records are read with the event helpers above; only
 * the framing of the answer and the offsets differ.
 */
enum {
    ST__PROC_ENTITY_ID = 0,
    ST__PROC_PARENT_ENTITY_ID = 8,
    ST__PROC_START_TIME = 16,
    ST__PROC_EXIT_TIME = 24,
    ST__PROC_PID = 32,
    ST__PROC_PPID = 36,
    ST__PROC_UID = 40,
    ST__PROC_GID = 44,
    ST__PROC_NAME = 48,
    ST__PROC_EXE = 56,
    ST__PROC_CONTAINER_ID = 64,
    ST__PROC_ARGV = 72,

    ST__CTR_START_TIME = 0,
    ST__CTR_ID = 8,
    ST__CTR_NAME = 16,
    ST__CTR_IMAGE = 24,
    ST__CTR_IMAGE_DIGEST = 32,
    ST__CTR_RUNTIME = 40,
    ST__CTR_POD_NAME = 48,
    ST__CTR_POD_UID = 56,
    ST__CTR_POD_NAMESPACE = 64,
    ST__CTR_FLAGS = 72,
    ST__CTR_HAS_POD = 1,
    ST__CTR_SANDBOX = 2,

    ST__DNS_QUERY = 0,
    ST__DNS_IPS = 8,
    ST__DNS_DOMAINS = 16,

    ST__SYM_QUERY = 0,
    ST__SYM_ADDRESS = 8,
    ST__SYM_NAME = 16,
    ST__SYM_MODULE = 24,

    ST__REP_LAST_UPDATED = 0,
    ST__REP_IP = 8,
    ST__REP_SOURCE = 16,
    ST__REP_TAGS = 24,
    ST__REP_STATUS = 32,
    ST__REP_SEVERITY = 33,
};

_Static_assert(ST_REPUTATION_UNKNOWN == 0 && ST_REPUTATION_CLEAN == 1 && ST_REPUTATION_SUSPICIOUS == 2 &&
                   ST_REPUTATION_BLACKLISTED == 3,
               "reputation status codes of docs/wire-encoding.md");

/* The record views and lists of every kind share one layout, so the
 * framing is written once over their fields. The answer buffer came from
 * cabi_realloc (malloc); an empty one is the canonical ABI's dangling
 * alignment pointer, which must be neither read nor freed, so it is
 * replaced by st__empty and owned by nobody. */
static void st__list_of(const uint8_t *bytes, size_t size, const uint8_t **out_bytes, size_t *out_size,
                        size_t *out_len) {
    if (!bytes || size == 0) {
        bytes = st__empty;
        size = 0;
    }
    *out_bytes = bytes;
    *out_size = size;
    *out_len = st__frame_count(bytes, size);
}

/* The first record of a single-record answer, owning the buffer. An answer
 * with no record (the host never sends one) reads as an empty record
 * rather than failing: every field absent. */
static void st__single_of(sandtrap_detector_types_records_t *a, const uint8_t **bytes, size_t *len,
                          uint8_t **answer) {
    const uint8_t *list;
    size_t size, count;
    st__list_of(a->ptr, a->len, &list, &size, &count);
    *bytes = st__empty;
    *len = 0;
    st__frame(list, size, count, 0, bytes, len);
    *answer = size ? a->ptr : NULL;
}

static void st__answer_free(const uint8_t *bytes, size_t size) {
    if (size) free((void *)(uintptr_t)bytes);
}

#define ST__RECORD_KIND(view, list)                                                             \
    list list##_view(const uint8_t *bytes, size_t size) {                                       \
        list l;                                                                                 \
        st__list_of(bytes, size, &l.bytes, &l.size, &l.len);                                    \
        return l;                                                                               \
    }                                                                                           \
    bool list##_get(const list *l, size_t i, view *out) {                                       \
        if (!l || !out) return false;                                                           \
        out->bytes = st__empty;                                                                 \
        out->len = 0;                                                                           \
        out->answer = NULL;                                                                     \
        return st__frame(l->bytes, l->size, l->len, i, &out->bytes, &out->len);                 \
    }                                                                                           \
    void list##_free(list *l) {                                                                 \
        if (!l) return;                                                                         \
        st__answer_free(l->bytes, l->size);                                                     \
        *l = list##_view(NULL, 0);                                                              \
    }                                                                                           \
    /* The reads of a freed view are safe (an empty record), not dangling. */                   \
    static void view##_release(view *r) {                                                       \
        if (!r) return;                                                                         \
        free(r->answer);                                                                        \
        r->bytes = st__empty;                                                                   \
        r->len = 0;                                                                             \
        r->answer = NULL;                                                                       \
    }

ST__RECORD_KIND(st_process, st_process_list)
ST__RECORD_KIND(st_container, st_container_list)
ST__RECORD_KIND(st_dns_response, st_dns_response_list)
ST__RECORD_KIND(st_symbol, st_symbol_list)
ST__RECORD_KIND(st_reputation_entry, st_reputation_list)

void st_process_free(st_process *p) { st_process_release(p); }
void st_container_free(st_container *c) { st_container_release(c); }
void st_dns_response_free(st_dns_response *r) { st_dns_response_release(r); }
void st_symbol_free(st_symbol *s) { st_symbol_release(s); }
void st_reputation_entry_free(st_reputation_entry *r) { st_reputation_entry_release(r); }

/* A store call answering with a list (ST__LIST_ANSWER) or with one record
 * the view then owns (ST__RECORD_ANSWER); `a_` receives the answer. */
#define ST__LIST_ANSWER(call)                                                                   \
    do {                                                                                        \
        sandtrap_detector_types_records_t a_ = {NULL, 0};                                       \
        sandtrap_detector_types_store_error_t e_;                                               \
        st__list_of(NULL, 0, &out->bytes, &out->size, &out->len);                               \
        if (!(call)) return st__store_failed(&e_, err);                                         \
        st__list_of(a_.ptr, a_.len, &out->bytes, &out->size, &out->len);                        \
        return true;                                                                            \
    } while (0)

#define ST__RECORD_ANSWER(call)                                                                 \
    do {                                                                                        \
        sandtrap_detector_types_records_t a_ = {NULL, 0};                                       \
        sandtrap_detector_types_store_error_t e_;                                               \
        out->bytes = st__empty;                                                                 \
        out->len = 0;                                                                           \
        out->answer = NULL;                                                                     \
        if (!(call)) return st__store_failed(&e_, err);                                         \
        st__single_of(&a_, &out->bytes, &out->len, &out->answer);                               \
        return true;                                                                            \
    } while (0)

#define ST__R(r) ((r) ? (r)->bytes : NULL), ((r) ? (r)->len : 0)

/* processes */

bool st_get_process(uint64_t entity_id, st_process *out, st_store_error *err) {
    ST__RECORD_ANSWER(sandtrap_detector_processes_get_process(entity_id, &a_, &e_));
}

bool st_get_children(uint64_t entity_id, st_process_list *out, st_store_error *err) {
    ST__LIST_ANSWER(sandtrap_detector_processes_get_child_processes(entity_id, &a_, &e_));
}

bool st_get_ancestry(uint64_t entity_id, uint32_t max_depth, st_process_list *out,
                     st_store_error *err) {
    ST__LIST_ANSWER(sandtrap_detector_processes_get_ancestry(entity_id, max_depth, &a_, &e_));
}

uint64_t st_process_entity_id(const st_process *p) { return st__u64_in(ST__R(p), ST__PROC_ENTITY_ID); }
uint64_t st_process_parent_entity_id(const st_process *p) { return st__u64_in(ST__R(p), ST__PROC_PARENT_ENTITY_ID); }
uint64_t st_process_start_time(const st_process *p) { return st__u64_in(ST__R(p), ST__PROC_START_TIME); }

bool st_process_exit_time(const st_process *p, uint64_t *out) {
    /* 0 is the encoding of "still running". */
    uint64_t t = st__u64_in(ST__R(p), ST__PROC_EXIT_TIME);
    if (t == 0 || !out) return false;
    *out = t;
    return true;
}

uint32_t st_process_pid(const st_process *p) { return st__u32_in(ST__R(p), ST__PROC_PID); }
uint32_t st_process_ppid(const st_process *p) { return st__u32_in(ST__R(p), ST__PROC_PPID); }
uint32_t st_process_uid(const st_process *p) { return st__u32_in(ST__R(p), ST__PROC_UID); }
uint32_t st_process_gid(const st_process *p) { return st__u32_in(ST__R(p), ST__PROC_GID); }
st_string st_process_name(const st_process *p) { return st__str_in(ST__R(p), ST__PROC_NAME); }
st_string st_process_exe(const st_process *p) { return st__str_in(ST__R(p), ST__PROC_EXE); }
st_string st_process_container_id(const st_process *p) { return st__str_in(ST__R(p), ST__PROC_CONTAINER_ID); }
st_list st_process_argv(const st_process *p) { return st__strlist_in(ST__R(p), ST__PROC_ARGV); }

bool st_process_is(const st_process *p, const char *name) {
    if (!p || !name) return false;
    st_string n = st_process_name(p);
    if (st_str_eq(&n, name)) return true;
    /* The exe is a view: its basename is found by length, not by strrchr. */
    st_string exe = st_process_exe(p);
    size_t start = exe.len;
    while (start > 0 && exe.ptr[start - 1] != '/') start--;
    st_string base = {exe.ptr + start, exe.len - start};
    return st_str_eq(&base, name);
}

/* containers */

bool st_get_container(const char *id, st_container *out, st_store_error *err) {
    st_string v = st__view(id);
    ST__RECORD_ANSWER(sandtrap_detector_containers_get_container(&v, &a_, &e_));
}

bool st_get_container_by_name(const char *name, st_container *out, st_store_error *err) {
    st_string v = st__view(name);
    ST__RECORD_ANSWER(sandtrap_detector_containers_get_container_by_name(&v, &a_, &e_));
}

bool st_list_containers(const char *name, const char *image, const char *runtime,
                        st_container_list *out, st_store_error *err) {
    sandtrap_detector_types_container_filter_t f;
    memset(&f, 0, sizeof f);
    if (name) f.name = (detector_option_string_t){true, st__view(name)};
    if (image) f.image = (detector_option_string_t){true, st__view(image)};
    if (runtime) f.runtime = (detector_option_string_t){true, st__view(runtime)};
    bool any = name || image || runtime;
    ST__LIST_ANSWER(sandtrap_detector_containers_list_containers(any ? &f : NULL, &a_, &e_));
}

uint64_t st_container_start_time(const st_container *c) { return st__u64_in(ST__R(c), ST__CTR_START_TIME); }
st_string st_container_id(const st_container *c) { return st__str_in(ST__R(c), ST__CTR_ID); }
st_string st_container_name(const st_container *c) { return st__str_in(ST__R(c), ST__CTR_NAME); }
st_string st_container_image(const st_container *c) { return st__str_in(ST__R(c), ST__CTR_IMAGE); }
st_string st_container_image_digest(const st_container *c) { return st__str_in(ST__R(c), ST__CTR_IMAGE_DIGEST); }
st_string st_container_runtime(const st_container *c) { return st__str_in(ST__R(c), ST__CTR_RUNTIME); }

bool st_container_pod(const st_container *c, st_pod *out) {
    uint8_t flags = st__u8_in(ST__R(c), ST__CTR_FLAGS);
    if (!(flags & ST__CTR_HAS_POD) || !out) return false;
    *out = (st_pod){c->bytes, c->len, (flags & ST__CTR_SANDBOX) != 0};
    return true;
}

st_string st_pod_name(const st_pod *pod) { return st__str_in(ST__R(pod), ST__CTR_POD_NAME); }
st_string st_pod_uid(const st_pod *pod) { return st__str_in(ST__R(pod), ST__CTR_POD_UID); }
st_string st_pod_namespace(const st_pod *pod) { return st__str_in(ST__R(pod), ST__CTR_POD_NAMESPACE); }
bool st_pod_is_sandbox(const st_pod *pod) { return pod && pod->sandbox; }

/* dns */

bool st_get_dns_response(const char *query, st_dns_response *out, st_store_error *err) {
    st_string v = st__view(query);
    ST__RECORD_ANSWER(sandtrap_detector_dns_get_dns_response(&v, &a_, &e_));
}

st_string st_dns_response_query(const st_dns_response *r) { return st__str_in(ST__R(r), ST__DNS_QUERY); }
st_list st_dns_response_ips(const st_dns_response *r) { return st__strlist_in(ST__R(r), ST__DNS_IPS); }
st_list st_dns_response_domains(const st_dns_response *r) { return st__strlist_in(ST__R(r), ST__DNS_DOMAINS); }

/* system, syscalls */

bool st_get_system_info(st_system_info *out, st_store_error *err) {
    ST__CALL(sandtrap_detector_system_get_system_info(out, &e_));
}

void st_system_info_free(st_system_info *info) { sandtrap_detector_types_system_info_free(info); }

bool st_get_syscall_name(int32_t id, char **out, st_store_error *err) {
    st_string name = {NULL, 0};
    sandtrap_detector_types_store_error_t e_;
    *out = NULL;
    if (!sandtrap_detector_syscalls_get_syscall_name(id, &name, &e_)) return st__store_failed(&e_, err);
    /* Host strings are NUL-terminated (see cabi_realloc) and malloc'd. */
    *out = name.len ? (char *)name.ptr : st_strdup("");
    return true;
}

bool st_get_syscall_id(const char *name, int32_t *out, st_store_error *err) {
    st_string v = st__view(name);
    ST__CALL(sandtrap_detector_syscalls_get_syscall_id(&v, out, &e_));
}

/* kernel symbols */

bool st_resolve_symbol(uint64_t address, st_symbol_list *out, st_store_error *err) {
    ST__LIST_ANSWER(sandtrap_detector_kernel_symbols_resolve_symbol_by_address(address, &a_, &e_));
}

bool st_resolve_symbols(const uint64_t *addresses, size_t count, st_symbol_list *out,
                        st_store_error *err) {
    detector_list_u64_t list = {(uint64_t *)(uintptr_t)addresses, addresses ? count : 0};
    ST__LIST_ANSWER(sandtrap_detector_kernel_symbols_resolve_symbols_batch(&list, &a_, &e_));
}

bool st_get_symbol_address(const char *name, uint64_t *out, st_store_error *err) {
    st_string v = st__view(name);
    ST__CALL(sandtrap_detector_kernel_symbols_get_symbol_address(&v, out, &e_));
}

uint64_t st_symbol_query(const st_symbol *s) { return st__u64_in(ST__R(s), ST__SYM_QUERY); }
uint64_t st_symbol_address(const st_symbol *s) { return st__u64_in(ST__R(s), ST__SYM_ADDRESS); }
st_string st_symbol_name(const st_symbol *s) { return st__str_in(ST__R(s), ST__SYM_NAME); }
st_string st_symbol_module(const st_symbol *s) { return st__str_in(ST__R(s), ST__SYM_MODULE); }

/* registry */

bool st_store_available(const char *name) {
    st_string v = st__view(name);
    return sandtrap_detector_registry_is_available(&v);
}

void st_list_stores(st_strlist *out) { sandtrap_detector_registry_list_stores(out); }

bool st_get_store_metadata(const char *name, st_store_metadata *out, st_store_error *err) {
    st_string v = st__view(name);
    ST__CALL(sandtrap_detector_registry_get_metadata(&v, out, &e_));
}

bool st_get_store_health(const char *name, st_health_info *out, st_store_error *err) {
    st_string v = st__view(name);
    ST__CALL(sandtrap_detector_registry_get_health(&v, out, &e_));
}

bool st_get_store_metrics(const char *name, st_store_metrics *out, st_store_error *err) {
    st_string v = st__view(name);
    ST__CALL(sandtrap_detector_registry_get_metrics(&v, out, &e_));
}

void st_store_metadata_free(st_store_metadata *m) { sandtrap_detector_types_store_metadata_free(m); }

void st_health_info_free(st_health_info *h) { sandtrap_detector_types_health_info_free(h); }

/* ip-reputation */

bool st_reputation_open(const char *store, st_reputation_reader *out, st_store_error *err) {
    st_string v = st__view(store);
    ST__CALL(sandtrap_detector_ip_reputation_open(&v, out, &e_));
}

bool st_reputation_get(st_reputation_reader reader, const char *ip, st_reputation_entry *out,
                       st_store_error *err) {
    st_string v = st__view(ip);
    ST__RECORD_ANSWER(sandtrap_detector_ip_reputation_method_reader_get(
        sandtrap_detector_ip_reputation_borrow_reader(reader), &v, &a_, &e_));
}

bool st_reputation_get_all(st_reputation_reader reader, const char *ip, st_reputation_list *out,
                           st_store_error *err) {
    st_string v = st__view(ip);
    ST__LIST_ANSWER(sandtrap_detector_ip_reputation_method_reader_get_all(
        sandtrap_detector_ip_reputation_borrow_reader(reader), &v, &a_, &e_));
}

bool st_reputation_is_blacklisted(st_reputation_reader reader, const char *ip, bool *out,
                                  st_store_error *err) {
    st_string v = st__view(ip);
    ST__CALL(sandtrap_detector_ip_reputation_method_reader_is_blacklisted(
        sandtrap_detector_ip_reputation_borrow_reader(reader), &v, out, &e_));
}

void st_reputation_reader_close(st_reputation_reader reader) {
    sandtrap_detector_ip_reputation_reader_drop_own(reader);
}

st_string st_reputation_entry_ip(const st_reputation_entry *r) { return st__str_in(ST__R(r), ST__REP_IP); }
st_string st_reputation_entry_source(const st_reputation_entry *r) { return st__str_in(ST__R(r), ST__REP_SOURCE); }
st_list st_reputation_entry_tags(const st_reputation_entry *r) { return st__strlist_in(ST__R(r), ST__REP_TAGS); }

st_reputation_status st_reputation_entry_status(const st_reputation_entry *r) {
    uint8_t code = st__u8_in(ST__R(r), ST__REP_STATUS);
    return code <= ST_REPUTATION_BLACKLISTED ? code : ST_REPUTATION_UNKNOWN;
}

uint8_t st_reputation_entry_severity(const st_reputation_entry *r) { return st__u8_in(ST__R(r), ST__REP_SEVERITY); }
uint64_t st_reputation_entry_last_updated(const st_reputation_entry *r) { return st__u64_in(ST__R(r), ST__REP_LAST_UPDATED); }

bool st_reputation_register(const char *store, uint8_t policy, st_reputation_writer *out,
                            st_store_error *err) {
    st_string v = st__view(store);
    sandtrap_detector_ip_reputation_list_source_priority_t none = {NULL, 0};
    ST__CALL(sandtrap_detector_ip_reputation_register(&v, policy, &none, out, &e_));
}

bool st_reputation_write(st_reputation_writer writer, const char *source,
                         const st_reputation *entry, st_store_error *err) {
    st_string v = st__view(source);
    sandtrap_detector_types_store_error_t e_;
    /* The import copies the entry out of linear memory and never writes it. */
    if (sandtrap_detector_ip_reputation_method_writer_write(
            sandtrap_detector_ip_reputation_borrow_writer(writer), &v,
            (st_reputation *)(uintptr_t)entry, &e_))
        return true;
    return st__store_failed(&e_, err);
}

void st_reputation_writer_close(st_reputation_writer writer) {
    sandtrap_detector_ip_reputation_writer_drop_own(writer);
}

void st_reputation_free(st_reputation *r) { sandtrap_detector_ip_reputation_reputation_free(r); }
