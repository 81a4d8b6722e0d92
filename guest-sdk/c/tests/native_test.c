/*
 * Native (x86_64, AddressSanitizer/UBSan) test of the C SDK: memory
 * ownership, the event decoder against the conformance vectors, and
 * malformed batches.
 *
 * The component's exports are called the way the generated export glue
 * calls them: arguments allocated through cabi_realloc, as the host does,
 * and results released with the generated *_free functions, as the
 * generated *_post_return functions do. The store and host imports are
 * replaced by stubs here. A leak, double free, out-of-bounds read or
 * misaligned load in sandtrap.c fails the run (ASan, LeakSanitizer, UBSan);
 * wrong results fail the checks. The test detector at the bottom exercises
 * the helpers.
 *
 * The conformance part reads guest-sdk/wire/testdata/batch.bin and its
 * expected decoding batch.json (found from this file's own path) and
 * compares every field read through the public accessors.
 *
 * Run by guest-sdk/c/test.sh.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandtrap.h"

void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size);

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* ------------------------------------------------- the host, simulated */

/* A string lowered into guest memory the way the host does it. */
static st_string host_string(const char *s) {
    size_t n = strlen(s);
    st_string out = {cabi_realloc(NULL, 0, 1, n), n};
    memcpy(out.ptr, s, n);
    return out;
}

static void *host_array(size_t count, size_t elem) { return cabi_realloc(NULL, 0, 8, count * elem); }

static int log_lines;
static char last_log[256];

void sandtrap_detector_host_log(sandtrap_detector_host_log_level_t level, detector_string_t *message) {
    (void)level;
    log_lines++;
    snprintf(last_log, sizeof last_log, "%.*s", (int)message->len, (const char *)message->ptr);
}

uint64_t sandtrap_detector_host_now(void) { return 1700000000000000000ull; }

static st_process host_process(uint32_t pid, const char *name) {
    st_process p;
    memset(&p, 0, sizeof p);
    p.pid = pid;
    p.entity_id = pid * 1000u;
    p.name = host_string(name);
    p.exe = host_string("/usr/bin/x");
    p.argv.ptr = host_array(1, sizeof(st_string));
    p.argv.len = 1;
    p.argv.ptr[0] = host_string(name);
    return p;
}

bool sandtrap_detector_processes_get_ancestry(uint64_t entity_id, uint32_t max_depth,
                                              st_process_list *ret,
                                              sandtrap_detector_types_store_error_t *err) {
    if (entity_id == 0) {
        err->tag = SANDTRAP_DETECTOR_TYPES_STORE_ERROR_NOT_FOUND;
        return false;
    }
    if (entity_id == 1) {
        err->tag = SANDTRAP_DETECTOR_TYPES_STORE_ERROR_INVALID_ARGUMENT;
        err->val.invalid_argument = host_string("depth too large");
        return false;
    }
    size_t n = max_depth < 3 ? max_depth : 3;
    ret->ptr = host_array(n, sizeof(st_process));
    ret->len = n;
    static const char *const names[] = {"self", "bash", "sshd"};
    for (size_t i = 0; i < n; i++) ret->ptr[i] = host_process((uint32_t)(100 - i), names[i]);
    return true;
}

static char last_container_query[64];

bool sandtrap_detector_containers_get_container(detector_string_t *id, st_container *ret,
                                                sandtrap_detector_types_store_error_t *err) {
    snprintf(last_container_query, sizeof last_container_query, "%.*s", (int)id->len, (const char *)id->ptr);
    if (id->len < 12) {
        err->tag = SANDTRAP_DETECTOR_TYPES_STORE_ERROR_NOT_FOUND;
        return false;
    }
    memset(ret, 0, sizeof *ret);
    ret->id = host_string("abcdefabcdefabcdef");
    ret->name = host_string("web");
    ret->image = host_string("registry.example/web:1");
    ret->runtime = host_string("docker");
    ret->pod.is_some = true;
    ret->pod.val.name = host_string("web-0");
    ret->pod.val.namespace_ = host_string("default");
    return true;
}

/* ------------------------------------ an encoder (docs/event-encoding.md) */

/* A growable byte buffer. */
typedef struct buf {
    uint8_t *b;
    size_t len, cap;
} buf;

static void buf_reserve(buf *o, size_t more) {
    if (o->len + more <= o->cap) return;
    while (o->cap < o->len + more) o->cap = o->cap ? o->cap * 2 : 256;
    o->b = realloc(o->b, o->cap);
    if (!o->b) abort();
}

static void buf_put(buf *o, const void *p, size_t n) {
    buf_reserve(o, n);
    if (n) memcpy(o->b + o->len, p, n);
    o->len += n;
}

static void buf_zeros(buf *o, size_t n) {
    buf_reserve(o, n);
    memset(o->b + o->len, 0, n);
    o->len += n;
}

static void put_u32(uint8_t *at, uint32_t v) {
    for (int i = 0; i < 4; i++) at[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *at, uint64_t v) {
    for (int i = 0; i < 8; i++) at[i] = (uint8_t)(v >> (8 * i));
}

/* Appends `n` bytes to the data area and points the str at `at` to them. */
static void put_str(buf *o, size_t at, const void *p, size_t n) {
    if (n == 0) return;
    size_t off = o->len;
    buf_put(o, p, n);
    put_u32(o->b + at, (uint32_t)off);
    put_u32(o->b + at + 4, (uint32_t)n);
}

typedef struct targ {
    const char *name;
    uint8_t kind;
    const char *str;
    int64_t i;
    uint64_t u;
    const char *const *list;
    size_t n; /* list count, or bytes length for ST_VALUE_BYTES (in `str`) */
} targ;

typedef struct tevent {
    uint64_t seq, entity_id;
    uint32_t pid;
    const char *name, *comm, *exe, *container_id;
    targ args[8];
    size_t nargs;
} tevent;

static void encode_event(buf *o, const tevent *ev) {
    buf_zeros(o, 104 + 24 * ev->nargs);
    put_u64(o->b + 0, ev->seq);
    put_u64(o->b + 16, ev->entity_id);
    put_u32(o->b + 48, ev->pid);
    put_str(o, 68, ev->name, strlen(ev->name));
    put_str(o, 76, ev->comm, strlen(ev->comm));
    put_str(o, 84, ev->exe, strlen(ev->exe));
    put_str(o, 92, ev->container_id, strlen(ev->container_id));
    put_u32(o->b + 100, (uint32_t)ev->nargs);
    for (size_t i = 0; i < ev->nargs; i++) {
        const targ *a = &ev->args[i];
        size_t entry = 104 + 24 * i;
        put_str(o, entry, a->name, strlen(a->name));
        o->b[entry + 8] = a->kind;
        switch (a->kind) {
        case ST_VALUE_STR: put_str(o, entry + 16, a->str, strlen(a->str)); break;
        case ST_VALUE_INT: put_u64(o->b + entry + 16, (uint64_t)a->i); break;
        case ST_VALUE_UINT: put_u64(o->b + entry + 16, a->u); break;
        case ST_VALUE_BOOL: put_u64(o->b + entry + 16, a->u != 0); break;
        case ST_VALUE_BYTES: put_str(o, entry + 16, a->str, a->n); break;
        case ST_VALUE_STR_LIST: {
            size_t table = o->len;
            put_u32(o->b + entry + 16, (uint32_t)table);
            put_u32(o->b + entry + 20, (uint32_t)a->n);
            buf_zeros(o, 8 * a->n);
            for (size_t j = 0; j < a->n; j++) put_str(o, table + 8 * j, a->list[j], strlen(a->list[j]));
            break;
        }
        default: put_u64(o->b + entry + 16, a->u); break; /* unknown kinds, for malformed tests */
        }
    }
}

/* A batch of the events, in memory allocated as the host allocates the
 * argument of on-events (cabi_realloc). */
static detector_list_u8_t host_batch(const tevent *evs, size_t n) {
    buf all = {0};
    buf_zeros(&all, 4 + 4 * n);
    put_u32(all.b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        buf one = {0};
        encode_event(&one, &evs[i]);
        put_u32(all.b + 4 + 4 * i, (uint32_t)all.len);
        buf_put(&all, one.b, one.len);
        free(one.b);
    }
    detector_list_u8_t out = {cabi_realloc(NULL, 0, 1, all.len), all.len};
    memcpy(out.ptr, all.b, all.len);
    free(all.b);
    return out;
}

/* ---------------------------------------------------------- the events */

static const char *const ARGV_MEM[] = {"cat", "/dev/mem"};

/* An openat from entity `entity_id` (0: unknown to the process store,
 * 1: the store refuses the call). */
static tevent openat(uint64_t entity_id, const char *pathname, const char *container) {
    tevent ev = {
        .seq = entity_id,
        .entity_id = entity_id,
        .pid = 100,
        .name = "openat",
        .comm = "cat",
        .exe = "/bin/cat",
        .container_id = container,
        .nargs = 5,
    };
    ev.args[0] = (targ){.name = "pathname", .kind = ST_VALUE_STR, .str = pathname};
    ev.args[1] = (targ){.name = "flags", .kind = ST_VALUE_UINT, .u = 2};
    ev.args[2] = (targ){.name = "dirfd", .kind = ST_VALUE_INT, .i = -100};
    ev.args[3] = (targ){.name = "argv", .kind = ST_VALUE_STR_LIST, .list = ARGV_MEM, .n = 2};
    ev.args[4] = (targ){.name = "raw", .kind = ST_VALUE_BYTES, .str = "\x01\x02\x03", .n = 3};
    return ev;
}

static const st_field *field(const st_detection *d, const char *name) {
    for (size_t i = 0; i < d->fields.len; i++)
        if (st_str_eq(&d->fields.ptr[i].name, name)) return &d->fields.ptr[i];
    return NULL;
}

static bool field_is_str(const st_detection *d, const char *name, const char *value) {
    const st_field *f = field(d, name);
    return f && f->value.tag == ST_VALUE_STR && st_str_eq(&f->value.val.str, value);
}

/* ------------------------------------------------------------- the tests */

static void test_describe(void) {
    exports_sandtrap_detector_guest_description_t d;
    exports_sandtrap_detector_guest_describe(&d);
    CHECK(st_str_eq(&d.id, "sdk-test"));
    CHECK(d.selectors.len == 5); /* more than the initial capacity of 4 */
    CHECK(d.selectors.ptr[0].filters.len == 2);
    CHECK(d.selectors.ptr[0].filters.ptr[1].op == ST_NOT_EQUAL);
    CHECK(st_str_eq(&d.selectors.ptr[4].filters.ptr[0].value, "/4"));
    CHECK(d.finding.fields.len == 3);
    CHECK(d.finding.severity == ST_LOW);
    CHECK(d.required_stores.len == 1 && d.optional_stores.len == 1);
    CHECK(log_lines == 1); /* the filter added before any selector */
    exports_sandtrap_detector_guest_description_free(&d); /* = post-return */
}

static void add_config(detector_list_tuple2_string_string_t *cfg, size_t i, const char *k,
                       const char *v) {
    cfg->ptr[i].f0 = host_string(k);
    cfg->ptr[i].f1 = host_string(v);
}

static void test_init(void) {
    detector_list_tuple2_string_string_t cfg = {host_array(4, sizeof *cfg.ptr), 4};
    add_config(&cfg, 0, "allow", " a, b,,c  d ");
    add_config(&cfg, 1, "depth", "2");
    add_config(&cfg, 2, "verbose", "Yes");
    add_config(&cfg, 3, "depth", "3"); /* the last one wins */
    detector_string_t err = {NULL, 0};
    CHECK(exports_sandtrap_detector_guest_init(&cfg, &err)); /* frees cfg */

    detector_list_tuple2_string_string_t bad = {host_array(1, sizeof *bad.ptr), 1};
    add_config(&bad, 0, "depth", "7x");
    CHECK(!exports_sandtrap_detector_guest_init(&bad, &err));
    CHECK(st_str_eq(&err, "config \"depth\": \"7x\" is not a number"));
    detector_string_free(&err); /* = post-return */

    /* Restore the good configuration for the event tests. */
    detector_list_tuple2_string_string_t again = {host_array(2, sizeof *again.ptr), 2};
    add_config(&again, 0, "allow", "a,b,c,d");
    add_config(&again, 1, "depth", "3");
    CHECK(exports_sandtrap_detector_guest_init(&again, &err));
}

static void test_on_events(void) {
    tevent evs[] = {
        openat(5, "/dev/mem", "abcdefabcdefabcdef"),
        openat(0, "/ignored", ""),
        openat(1, "/fail", ""),     /* fails after appending a detection */
        openat(5, "/twice", ""),
        openat(0, "/dev/kmem", "short"),
        openat(2, "/silent", ""),   /* fails without a message */
    };
    detector_list_u8_t batch = host_batch(evs, sizeof evs / sizeof evs[0]);
    exports_sandtrap_detector_guest_batch_output_t out;
    exports_sandtrap_detector_guest_on_events(&batch, &out); /* frees the batch */
    CHECK(out.detections.len == 4);
    if (out.detections.len == 4) {
        CHECK(out.detections.ptr[0].index == 0);
        CHECK(out.detections.ptr[1].index == 3 && out.detections.ptr[2].index == 3);
        CHECK(out.detections.ptr[3].index == 4);
        st_detection *d = &out.detections.ptr[0].detection;
        CHECK(d->severity.is_some && d->severity.val == ST_CRITICAL);
        CHECK(field_is_str(d, "pathname", "/dev/mem"));
        CHECK(field_is_str(d, "container", "web"));
        CHECK(field_is_str(d, "argv1", "/dev/mem"));
        CHECK(field_is_str(d, "empty", ""));
        CHECK(field_is_str(d, "formatted", "pid=100 flags=2 comm=cat"));
        const st_field *f = field(d, "ancestry");
        CHECK(f && f->value.tag == ST_VALUE_STR_LIST && f->value.val.str_list.len == 2 &&
              st_str_eq(&f->value.val.str_list.ptr[1], "sshd(98)"));
        f = field(d, "argv");
        CHECK(f && f->value.tag == ST_VALUE_STR_LIST && f->value.val.str_list.len == 2 &&
              st_str_eq(&f->value.val.str_list.ptr[0], "cat"));
        f = field(d, "dirfd");
        CHECK(f && f->value.tag == ST_VALUE_INT && f->value.val.int_ == -100);
        f = field(d, "bytes");
        CHECK(f && f->value.tag == ST_VALUE_BYTES && f->value.val.bytes.len == 3);
        f = field(d, "allowed");
        CHECK(f && f->value.tag == ST_VALUE_STR_LIST && f->value.val.str_list.len == 4);
        CHECK(field_is_str(&out.detections.ptr[2].detection, "pathname", "/twice"));
        f = field(&out.detections.ptr[3].detection, "ancestry");
        CHECK(f && f->value.val.str_list.len == 0);
        /* The store got exactly the event's container id, not what follows it. */
        CHECK(strcmp(last_container_query, "short") == 0);
    }
    CHECK(out.errors.len == 2);
    if (out.errors.len == 2) {
        CHECK(out.errors.ptr[0].index == 2 && out.errors.ptr[1].index == 5);
        CHECK(st_str_eq(&out.errors.ptr[0].message, "process store: invalid argument: depth too large"));
        CHECK(st_str_eq(&out.errors.ptr[1].message, "detector_on_event failed"));
    }
    exports_sandtrap_detector_guest_batch_output_free(&out); /* = post-return */

    /* An empty buffer, as the canonical ABI passes it (the pointer is the
     * alignment), and an empty batch. */
    detector_list_u8_t none = {(uint8_t *)1, 0};
    exports_sandtrap_detector_guest_on_events(&none, &out);
    CHECK(out.detections.len == 0 && out.errors.len == 0);
    exports_sandtrap_detector_guest_batch_output_free(&out);
    detector_list_u8_t zero = host_batch(NULL, 0);
    exports_sandtrap_detector_guest_on_events(&zero, &out);
    CHECK(out.detections.len == 0 && out.errors.len == 0);
    exports_sandtrap_detector_guest_batch_output_free(&out);
}

/* ------------------------------------------- a JSON reader for batch.json */

/* Just enough JSON for the vectors: numbers are kept as their text, which is
 * how they are compared (64-bit values are strings there anyway). */
typedef struct jv {
    char t; /* n(ull) b(ool) d(igits) s(tring) a(rray) o(bject) */
    bool b;
    char *s; /* string bytes (NUL-terminated copy) or number text */
    size_t slen;
    struct jv *items;
    char **keys;
    size_t n;
} jv;

typedef struct jp {
    const char *p, *end;
    bool bad;
} jp;

static void jfree(jv *v) {
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->s);
}

static void jws(jp *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}

static unsigned jhex4(jp *j) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (j->p >= j->end) {
            j->bad = true;
            return 0;
        }
        char c = *j->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else j->bad = true;
    }
    return v;
}

static void jutf8(buf *o, unsigned cp) {
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (uint8_t)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (uint8_t)(0xC0 | cp >> 6); u[1] = (uint8_t)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) { u[0] = (uint8_t)(0xE0 | cp >> 12); u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); u[2] = (uint8_t)(0x80 | (cp & 0x3F)); n = 3; }
    else { u[0] = (uint8_t)(0xF0 | cp >> 18); u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F)); u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (uint8_t)(0x80 | (cp & 0x3F)); n = 4; }
    buf_put(o, u, n);
}

static char *jstring(jp *j, size_t *len) {
    buf o = {0};
    j->p++; /* the opening quote */
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c != '\\') {
            buf_put(&o, &c, 1);
            continue;
        }
        if (j->p >= j->end) break;
        char e = *j->p++;
        switch (e) {
        case 'n': buf_put(&o, "\n", 1); break;
        case 't': buf_put(&o, "\t", 1); break;
        case 'r': buf_put(&o, "\r", 1); break;
        case 'b': buf_put(&o, "\b", 1); break;
        case 'f': buf_put(&o, "\f", 1); break;
        case 'u': {
            unsigned cp = jhex4(j);
            if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
                j->p += 2;
                unsigned lo = jhex4(j);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            jutf8(&o, cp);
            break;
        }
        default: buf_put(&o, &e, 1); break; /* \" \\ \/ */
        }
    }
    if (j->p >= j->end) j->bad = true;
    else j->p++; /* the closing quote */
    *len = o.len;
    buf_put(&o, "", 1);
    return (char *)o.b;
}

static void jvalue(jp *j, jv *out);

static void jpush(jp *j, jv *out, char *key) {
    out->items = realloc(out->items, (out->n + 1) * sizeof *out->items);
    if (out->t == 'o') out->keys = realloc(out->keys, (out->n + 1) * sizeof *out->keys);
    if (!out->items || (out->t == 'o' && !out->keys)) abort();
    if (out->t == 'o') out->keys[out->n] = key;
    memset(&out->items[out->n], 0, sizeof *out->items);
    jvalue(j, &out->items[out->n]);
    out->n++;
}

static void jvalue(jp *j, jv *out) {
    memset(out, 0, sizeof *out);
    out->t = 'n';
    jws(j);
    if (j->p >= j->end) {
        j->bad = true;
        return;
    }
    char c = *j->p;
    if (c == '"') {
        out->t = 's';
        out->s = jstring(j, &out->slen);
    } else if (c == '[' || c == '{') {
        out->t = c == '[' ? 'a' : 'o';
        char close = c == '[' ? ']' : '}';
        j->p++;
        jws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return;
        }
        while (!j->bad) {
            char *key = NULL;
            if (out->t == 'o') {
                jws(j);
                size_t klen;
                if (j->p >= j->end || *j->p != '"') {
                    j->bad = true;
                    return;
                }
                key = jstring(j, &klen);
                jws(j);
                if (j->p >= j->end || *j->p != ':') {
                    free(key);
                    j->bad = true;
                    return;
                }
                j->p++;
            }
            jpush(j, out, key);
            jws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
            } else if (j->p < j->end && *j->p == close) {
                j->p++;
                return;
            } else {
                j->bad = true;
            }
        }
    } else if (c == 't' || c == 'f') {
        out->t = 'b';
        out->b = c == 't';
        size_t n = c == 't' ? 4 : 5;
        if ((size_t)(j->end - j->p) < n) j->bad = true;
        else j->p += n;
    } else if (c == 'n') {
        if (j->end - j->p < 4) j->bad = true;
        else j->p += 4;
    } else {
        const char *start = j->p;
        while (j->p < j->end && (*j->p == '-' || *j->p == '+' || *j->p == '.' || *j->p == 'e' ||
                                 *j->p == 'E' || (*j->p >= '0' && *j->p <= '9')))
            j->p++;
        if (j->p == start) {
            j->bad = true;
            return;
        }
        out->t = 'd';
        out->slen = (size_t)(j->p - start);
        out->s = malloc(out->slen + 1);
        if (!out->s) abort();
        memcpy(out->s, start, out->slen);
        out->s[out->slen] = 0;
    }
}

static const jv JNULL = {.t = 'n'};

static const jv *jget(const jv *obj, const char *key) {
    for (size_t i = 0; obj->t == 'o' && i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
    fprintf(stderr, "batch.json: no key \"%s\"\n", key);
    failures++;
    return &JNULL;
}

/* --------------------------------------------------- conformance vectors */

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        failures++;
        return NULL;
    }
    buf o = {0};
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_put(&o, chunk, n);
    fclose(f);
    *len = o.len;
    return o.b ? o.b : malloc(1);
}

/* guest-sdk/wire/testdata/NAME, from this source file's own location
 * (guest-sdk/c/tests/): test.sh compiles it by absolute path. */
static char *testdata_path(const char *name) {
    const char *self = __FILE__;
    const char *slash = strrchr(self, '/');
    int dir = slash ? (int)(slash - self) : 1;
    return st_format("%.*s/../../wire/testdata/%s", dir, slash ? self : ".", name);
}

static int conformance_event;

static void expect_string(const char *what, st_string got, const jv *want) {
    if (want->t == 's' && got.len == want->slen && (got.len == 0 || memcmp(got.ptr, want->s, got.len) == 0))
        return;
    fprintf(stderr, "event %d %s: got \"" ST_STR_FMT "\", want \"%s\"\n", conformance_event, what,
            ST_STR_ARG(got), want->s ? want->s : "(not a string)");
    failures++;
}

/* Integers are compared as decimal text: the JSON has 64-bit values as
 * strings and 32-bit ones as numbers. */
static void expect_text(const char *what, const char *got, const jv *want) {
    if ((want->t == 's' || want->t == 'd') && strcmp(got, want->s) == 0) return;
    fprintf(stderr, "event %d %s: got %s, want %s\n", conformance_event, what, got, want->s ? want->s : "?");
    failures++;
}

static void expect_u64(const char *what, uint64_t got, const jv *want) {
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, got);
    expect_text(what, text, want);
}

static const char *const KIND_NAMES[] = {"str", "int", "uint", "bool", "bytes", "str-list"};

/* The argument `a` against its JSON {name, kind, value}. */
static void expect_arg(const char *what, const st_arg_view *a, const jv *want) {
    expect_string(what, a->name, jget(want, "name"));
    const jv *kind = jget(want, "kind");
    const jv *value = jget(want, "value");
    if (a->kind > ST_VALUE_STR_LIST || kind->t != 's' || strcmp(KIND_NAMES[a->kind], kind->s) != 0) {
        fprintf(stderr, "event %d %s: kind %u, want %s\n", conformance_event, what, a->kind,
                kind->s ? kind->s : "?");
        failures++;
        return;
    }
    char text[32];
    switch (a->kind) {
    case ST_VALUE_STR: expect_string(what, a->val.str, value); break;
    case ST_VALUE_INT:
        snprintf(text, sizeof text, "%" PRId64, a->val.int_);
        expect_text(what, text, value);
        break;
    case ST_VALUE_UINT: expect_u64(what, a->val.uint, value); break;
    case ST_VALUE_BOOL:
        if (value->t != 'b' || value->b != a->val.boolean) {
            fprintf(stderr, "event %d %s: bool %d\n", conformance_event, what, a->val.boolean);
            failures++;
        }
        break;
    case ST_VALUE_BYTES: {
        char *hex = malloc(2 * a->val.bytes.len + 1);
        if (!hex) abort();
        for (size_t i = 0; i < a->val.bytes.len; i++) snprintf(hex + 2 * i, 3, "%02x", a->val.bytes.ptr[i]);
        hex[2 * a->val.bytes.len] = 0;
        expect_text(what, hex, value);
        free(hex);
        break;
    }
    case ST_VALUE_STR_LIST: {
        const st_list *l = &a->val.str_list;
        if (value->t != 'a' || st_list_len(l) != value->n) {
            fprintf(stderr, "event %d %s: %zu strings\n", conformance_event, what, st_list_len(l));
            failures++;
            break;
        }
        for (size_t i = 0; i < value->n; i++) {
            st_string item = {NULL, 0};
            CHECK(st_list_get(l, i, &item));
            expect_string(what, item, &value->items[i]);
            CHECK(st_list_contains(l, value->items[i].s));
        }
        st_string past;
        CHECK(!st_list_get(l, value->n, &past));
        break;
    }
    }
}

/* The typed accessor of the argument's kind agrees with the generic one,
 * and the other kinds' accessors refuse it. */
static void check_typed(const st_event *ev, const char *name, const st_arg_view *a) {
    st_string s;
    uint64_t u;
    int64_t i;
    bool b;
    st_list l;
    const uint8_t *bytes;
    size_t n;
    CHECK(st_arg_str(ev, name, &s) == (a->kind == ST_VALUE_STR));
    if (a->kind == ST_VALUE_STR) CHECK(st_str_eq_str(&s, &a->val.str));
    CHECK(st_arg_bool(ev, name, &b) == (a->kind == ST_VALUE_BOOL));
    CHECK(st_arg_list(ev, name, &l) == (a->kind == ST_VALUE_STR_LIST));
    CHECK(st_arg_bytes(ev, name, &bytes, &n) == (a->kind == ST_VALUE_BYTES));
    if (a->kind == ST_VALUE_BYTES) CHECK(n == a->val.bytes.len && (n == 0 || bytes == a->val.bytes.ptr));
    bool fits_u = a->kind == ST_VALUE_UINT || (a->kind == ST_VALUE_INT && a->val.int_ >= 0);
    bool fits_i = a->kind == ST_VALUE_INT || (a->kind == ST_VALUE_UINT && a->val.uint <= (uint64_t)INT64_MAX);
    CHECK(st_arg_uint(ev, name, &u) == fits_u);
    CHECK(st_arg_int(ev, name, &i) == fits_i);
    if (a->kind == ST_VALUE_UINT && fits_u) CHECK(u == a->val.uint);
    if (a->kind == ST_VALUE_INT && fits_i) CHECK(i == a->val.int_);
}

static void check_event(const st_event *ev, const jv *want) {
    expect_string("name", st_event_name(ev), jget(want, "name"));
    CHECK(want->t != 'o' || jget(want, "name")->t != 's' || st_event_is(ev, jget(want, "name")->s));
    expect_u64("seq", st_event_seq(ev), jget(want, "seq"));
    expect_u64("timestamp", st_event_timestamp(ev), jget(want, "timestamp"));
    const jv *p = jget(want, "process");
    expect_u64("entity_id", st_event_entity_id(ev), jget(p, "entity_id"));
    expect_u64("parent_entity_id", st_event_parent_entity_id(ev), jget(p, "parent_entity_id"));
    expect_u64("start_ticks", st_event_start_ticks(ev), jget(p, "start_ticks"));
    expect_u64("cgroup_id", st_event_cgroup_id(ev), jget(p, "cgroup_id"));
    expect_u64("pid", st_event_pid(ev), jget(p, "pid"));
    expect_u64("tid", st_event_tid(ev), jget(p, "tid"));
    expect_u64("ppid", st_event_ppid(ev), jget(p, "ppid"));
    expect_u64("uid", st_event_uid(ev), jget(p, "uid"));
    expect_u64("gid", st_event_gid(ev), jget(p, "gid"));
    expect_string("comm", st_event_comm(ev), jget(p, "comm"));
    expect_string("exe", st_event_exe(ev), jget(p, "exe"));
    expect_string("container_id", st_event_container_id(ev), jget(p, "container_id"));

    /* Every argument, in order. */
    const jv *args = jget(want, "args");
    size_t seen = 0;
    for (size_t i = 0; i < st_arg_count(ev); i++) {
        st_arg_view a;
        if (!st_arg_at(ev, i, &a)) continue;
        if (args->t != 'a' || seen >= args->n) {
            seen++;
            continue;
        }
        char what[64];
        snprintf(what, sizeof what, "args[%zu]", seen);
        expect_arg(what, &a, &args->items[seen]);
        seen++;
    }
    CHECK(args->t == 'a' && seen == args->n);

    /* Lookups by name: the first argument of a name is the argument. */
    for (size_t i = 0; args->t == 'a' && i < args->n; i++) {
        const jv *name = jget(&args->items[i], "name");
        if (name->t != 's') continue;
        size_t first = i;
        for (size_t k = 0; k < i; k++)
            if (strcmp(jget(&args->items[k], "name")->s, name->s) == 0) {
                first = k;
                break;
            }
        st_arg_view a;
        char what[80];
        snprintf(what, sizeof what, "arg(\"%s\")", name->s);
        CHECK(st_arg(ev, name->s, &a));
        if (st_arg(ev, name->s, &a)) {
            expect_arg(what, &a, &args->items[first]);
            check_typed(ev, name->s, &a);
        }
    }
    st_arg_view none;
    CHECK(!st_arg(ev, "no such argument", &none));
}

static void test_conformance(void) {
    char *bin_path = testdata_path("batch.bin");
    char *json_path = testdata_path("batch.json");
    size_t bin_len = 0, json_len = 0;
    uint8_t *bin = read_file(bin_path, &bin_len);
    uint8_t *json = read_file(json_path, &json_len);
    free(bin_path);
    free(json_path);
    if (!bin || !json) {
        free(bin);
        free(json);
        return;
    }
    jp j = {(const char *)json, (const char *)json + json_len, false};
    jv want;
    jvalue(&j, &want);
    CHECK(!j.bad && want.t == 'a');

    st_batch batch = st_batch_view(bin, bin_len);
    CHECK(want.t == 'a' && batch.count == want.n);
    size_t duplicates = 0;
    for (size_t i = 0; i < batch.count && want.t == 'a' && i < want.n; i++) {
        conformance_event = (int)i;
        st_event ev = st_batch_event(&batch, i);
        check_event(&ev, &want.items[i]);
        const jv *args = jget(&want.items[i], "args");
        for (size_t a = 0; a < args->n; a++)
            for (size_t b = 0; b < a; b++)
                if (strcmp(jget(&args->items[a], "name")->s, jget(&args->items[b], "name")->s) == 0) duplicates++;
    }
    /* The vectors must keep exercising the first-wins rule. */
    CHECK(duplicates > 0);
    /* The same, spelled out: event 0 has two `pathname`s. */
    st_event first = st_batch_event(&batch, 0);
    st_string path;
    CHECK(st_arg_str(&first, "pathname", &path) && st_str_eq(&path, "/memfd:x (deleted)"));

    /* A past-the-end event reads as empty. */
    st_event past = st_batch_event(&batch, batch.count);
    CHECK(past.len == 0 && st_event_seq(&past) == 0 && st_event_name(&past).len == 0 &&
          st_arg_count(&past) == 0);

    jfree(&want);
    free(json);
    free(bin);
}

/* ---------------------------------------------------------- malformed */

static bool within(st_string s, const st_event *ev) {
    if (s.len == 0) return true;
    uintptr_t p = (uintptr_t)s.ptr, b = (uintptr_t)ev->bytes;
    return p >= b && p - b <= ev->len && s.len <= ev->len - (p - b);
}

static uint64_t mix(uint64_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t touch(uint64_t h, st_string s, const st_event *ev) {
    CHECK(within(s, ev));
    return mix(h, s.ptr, s.len);
}

/* Reads every field of the event the way a detector could, touching every
 * byte of every string: ASan reports a read outside the buffer, the checks
 * a view outside the event. */
static uint64_t read_everything(const st_event *ev) {
    uint64_t h = 0xcbf29ce484222325ull;
    h ^= st_event_seq(ev) ^ st_event_timestamp(ev) ^ st_event_entity_id(ev) ^
         st_event_parent_entity_id(ev) ^ st_event_start_ticks(ev) ^ st_event_cgroup_id(ev);
    h ^= st_event_pid(ev) ^ st_event_tid(ev) ^ st_event_ppid(ev) ^ st_event_uid(ev) ^ st_event_gid(ev);
    h = touch(h, st_event_name(ev), ev);
    h = touch(h, st_event_comm(ev), ev);
    h = touch(h, st_event_exe(ev), ev);
    h = touch(h, st_event_container_id(ev), ev);
    size_t count = st_arg_count(ev);
    CHECK(count <= ev->len / 24);
    for (size_t i = 0; i < count + 2; i++) {
        st_arg_view a;
        if (!st_arg_at(ev, i, &a)) continue;
        CHECK(i < count);
        h = touch(h, a.name, ev);
        switch (a.kind) {
        case ST_VALUE_STR: h = touch(h, a.val.str, ev); break;
        case ST_VALUE_BYTES: {
            st_string s = {(uint8_t *)(uintptr_t)a.val.bytes.ptr, a.val.bytes.len};
            h = touch(h, s, ev);
            break;
        }
        case ST_VALUE_STR_LIST: {
            st_string item;
            for (size_t k = 0; st_list_get(&a.val.str_list, k, &item); k++) h = touch(h, item, ev);
            break;
        }
        default: h ^= a.val.uint; break;
        }
        /* The lookup by this name (up to an embedded NUL) never fails hard. */
        char *name = st_str_dup(&a.name);
        st_arg_view b;
        st_string s;
        st_list l;
        uint64_t u;
        int64_t n;
        bool flag;
        const uint8_t *bytes;
        size_t len;
        if (st_arg(ev, name, &b)) h = touch(h, b.name, ev);
        if (st_arg_str(ev, name, &s)) h = touch(h, s, ev);
        if (st_arg_list(ev, name, &l)) {
            st_strlist copy = {0};
            st_list_copy(&l, &copy);
            CHECK(copy.len == st_list_len(&l));
            st_strlist_free(&copy);
        }
        if (st_arg_uint(ev, name, &u)) h ^= u;
        if (st_arg_int(ev, name, &n)) h ^= (uint64_t)n;
        if (st_arg_bool(ev, name, &flag)) h ^= flag;
        if (st_arg_bytes(ev, name, &bytes, &len)) h = mix(h, bytes, len);
        free(name);
    }
    return h;
}

static uint64_t read_batch(const uint8_t *bytes, size_t len) {
    st_batch batch = st_batch_view(bytes, len);
    CHECK(batch.count <= (len >= 4 ? (len - 4) / 4 : 0));
    uint64_t h = 0;
    for (size_t i = 0; i <= batch.count; i++) {
        st_event ev = st_batch_event(&batch, i);
        CHECK(ev.len == 0 || ((uintptr_t)ev.bytes >= (uintptr_t)bytes &&
                              (uintptr_t)ev.bytes + ev.len <= (uintptr_t)bytes + len));
        h ^= read_everything(&ev);
    }
    return h;
}

/* An exactly sized heap copy, so that ASan sees a read one byte past it. */
static uint8_t *exact_copy(const uint8_t *src, size_t len) {
    uint8_t *p = malloc(len ? len : 1);
    if (!p) abort();
    if (len) memcpy(p, src, len);
    return p;
}

static bool read_all; /* the test detector reads every field and reports nothing */

static void test_malformed(void) {
    char *bin_path = testdata_path("batch.bin");
    size_t len = 0;
    uint8_t *bin = read_file(bin_path, &len);
    free(bin_path);
    if (!bin) return;
    uint64_t h = 0;

    /* Every prefix, read directly and through the export. */
    read_all = true;
    for (size_t n = 0; n <= len; n++) {
        uint8_t *p = exact_copy(bin, n);
        h ^= read_batch(p, n);
        free(p);
        detector_list_u8_t host = {cabi_realloc(NULL, 0, 1, n), n};
        if (n) memcpy(host.ptr, bin, n);
        exports_sandtrap_detector_guest_batch_output_t out;
        exports_sandtrap_detector_guest_on_events(&host, &out);
        CHECK(out.detections.len == 0 && out.errors.len == 0);
        exports_sandtrap_detector_guest_batch_output_free(&out);
    }
    read_all = false;

    /* Every byte replaced by a few values: offsets and lengths that point
     * past the end, counts that overflow, unknown kinds, broken UTF-8. */
    static const uint8_t values[] = {0x00, 0xff, 0x80, 0x7f, 0xc3};
    uint8_t *p = exact_copy(bin, len);
    for (size_t i = 0; i < len; i++) {
        for (size_t v = 0; v < sizeof values; v++) {
            p[i] = values[v];
            h ^= read_batch(p, len);
        }
        p[i] ^= 0x01;
        h ^= read_batch(p, len);
        p[i] = bin[i];
    }

    /* Random multi-byte damage (a fixed seed: failures reproduce). */
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 3000; round++) {
        memcpy(p, bin, len);
        for (int k = 0; k < 1 + round % 8; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            p[rng % len] = (uint8_t)(rng >> 32);
        }
        h ^= read_batch(p, len);
    }
    free(p);

    /* Crafted: an offset and length whose sum wraps 32 bits (size_t on
     * wasm32), an argument count far beyond the event, a batch count far
     * beyond the buffer, events whose bounds are out of order. */
    tevent one = openat(5, "/dev/mem", "c0ffee");
    detector_list_u8_t b = host_batch(&one, 1);
    uint8_t *q = exact_copy(b.ptr, b.len);
    uint8_t *ev0 = q + 8;
    put_u32(ev0 + 68, 0xffffffffu); /* name offset */
    put_u32(ev0 + 72, 0x00000002u); /* name length */
    put_u32(ev0 + 100, 0xffffffffu); /* arg count */
    st_batch batch = st_batch_view(q, b.len);
    st_event ev = st_batch_event(&batch, 0);
    st_string s = st_event_name(&ev);
    CHECK(s.len == 0); /* malformed: "" */
    s = st_event_comm(&ev);
    CHECK(st_str_eq(&s, "cat")); /* its neighbours still read */
    CHECK(st_arg_count(&ev) == (ev.len - 104) / 24);
    h ^= read_everything(&ev);
    put_u32(q, 0xffffffffu); /* count */
    batch = st_batch_view(q, b.len);
    CHECK(batch.count == (b.len - 4) / 4);
    h ^= read_batch(q, b.len);
    /* Two events: the second "starts" at the first's seq (5), before the
     * first, so the first ends before it starts and reads as empty. */
    put_u32(q, 2);
    batch = st_batch_view(q, b.len);
    CHECK(batch.count == 2);
    ev = st_batch_event(&batch, 0);
    CHECK(ev.len == 0 && st_event_seq(&ev) == 0);
    ev = st_batch_event(&batch, 1);
    CHECK(ev.len == b.len - 5);
    h ^= read_batch(q, b.len);
    free(q);
    free(b.ptr);

    /* A non-UTF-8 comm reads as "", and only the comm: fields are decoded
     * one at a time, when asked for. */
    one = openat(5, "/dev/mem", "");
    one.comm = "c\xfft";
    b = host_batch(&one, 1);
    batch = st_batch_view(b.ptr, b.len);
    ev = st_batch_event(&batch, 0);
    s = st_event_comm(&ev);
    CHECK(s.len == 0);
    CHECK(st_arg_str(&ev, "pathname", &s) && st_str_eq(&s, "/dev/mem"));
    s = st_event_exe(&ev);
    CHECK(st_str_eq(&s, "/bin/cat"));
    free(b.ptr);

    /* An unknown kind makes the argument absent, and a malformed first
     * argument of a name is not replaced by a later one. */
    tevent odd = openat(5, "/dev/mem", "");
    odd.args[1].kind = 9;
    odd.args[2] = (targ){.name = "pathname", .kind = ST_VALUE_STR, .str = "/second"};
    b = host_batch(&odd, 1);
    batch = st_batch_view(b.ptr, b.len);
    ev = st_batch_event(&batch, 0);
    st_arg_view a;
    uint64_t flags;
    CHECK(!st_arg(&ev, "flags", &a) && !st_arg_uint(&ev, "flags", &flags));
    CHECK(!st_arg_at(&ev, 1, &a) && st_arg_at(&ev, 2, &a));
    CHECK(st_arg_str(&ev, "pathname", &s) && st_str_eq(&s, "/dev/mem"));
    uint8_t *pathname_entry = b.ptr + 8 + 104;
    put_u32(pathname_entry + 16, 0xfffffff0u); /* the first pathname's value points nowhere */
    CHECK(!st_arg_str(&ev, "pathname", &s));
    free(b.ptr);

    /* Keeps the reads from being optimised away. */
    CHECK(h != 1);
    free(bin);
}

static void test_helpers(void) {
    /* Host strings are NUL-terminated in place. */
    st_string s = host_string("kcore");
    CHECK(strcmp(st_cstr(&s), "kcore") == 0);
    CHECK(st_str_has_prefix(&s, "kc") && st_str_has_suffix(&s, "ore") && !st_str_has_suffix(&s, "xkcore"));
    CHECK(st_str_contains(&s, "cor") && st_str_contains(&s, "") && !st_str_contains(&s, "kcores"));
    detector_string_free(&s);
    st_string empty = {(uint8_t *)1, 0}; /* how the canonical ABI passes "" */
    CHECK(strcmp(st_cstr(&empty), "") == 0);

    /* A view: the bytes after it are not a terminator. */
    const char text[] = "/dev/memXYZ";
    st_string view = {(uint8_t *)(uintptr_t)text, 8};
    char *copy = st_str_dup(&view);
    CHECK(strcmp(copy, "/dev/mem") == 0);
    free(copy);
    copy = st_str_dup(NULL);
    CHECK(copy && copy[0] == 0);
    free(copy);
    CHECK(st_str_eq(&view, "/dev/mem") && !st_str_eq(&view, "/dev/memX"));
    CHECK(st_str_has_suffix(&view, "/mem") && !st_str_contains(&view, "XYZ"));
    char printed[32];
    snprintf(printed, sizeof printed, "[" ST_STR_FMT "]", ST_STR_ARG(view));
    CHECK(strcmp(printed, "[/dev/mem]") == 0);
    st_string other = {(uint8_t *)(uintptr_t)"/dev/mem", 8};
    CHECK(st_str_eq_str(&view, &other) && !st_str_eq_str(&view, &empty));

    char *f = st_format("%s(%u)", "bash", 42u);
    CHECK(strcmp(f, "bash(42)") == 0);
    free(f);
    char *e = st_format("%s", "");
    CHECK(e && e[0] == 0);
    free(e);

    st_strlist l = {0};
    for (int i = 0; i < 100; i++) st_strlist_pushf(&l, "item-%d", i);
    st_strlist_push_str(&l, &view);
    CHECK(l.len == 101 && strcmp(st_strlist_get(&l, 99), "item-99") == 0);
    CHECK(strcmp(st_strlist_get(&l, 100), "/dev/mem") == 0);
    CHECK(st_strlist_get(&l, 101) == NULL);
    CHECK(st_strlist_contains(&l, "item-57") && !st_strlist_contains(&l, "item-100"));
    CHECK(st_strlist_contains_str(&l, &view) && !st_strlist_contains_str(&l, &empty));
    st_strlist_free(&l);
    CHECK(l.len == 0 && l.ptr == NULL);

    CHECK(st_now() == 1700000000000000000ull);
    CHECK(strcmp(ST_CONTRACT_VERSION, "0.2.0") == 0);
}

int main(void) {
    test_describe();
    test_init();
    test_on_events();
    test_conformance();
    test_malformed();
    test_helpers();
    exports_sandtrap_detector_guest_close();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c sdk native test: ok (conformance vectors, malformed batches, ownership)\n");
    return 0;
}

/* ------------------------------------------------------- the test detector */

static st_strlist allow;
static uint64_t depth;
static bool verbose;

void detector_describe(st_desc *d) {
    st_desc_filter(d, "pathname", ST_EQUAL, "/too-early"); /* logged and ignored */
    st_desc_id(d, "sdk-test", "SDK test", "0.0.1");
    st_desc_text(d, "Exercises the C SDK.");
    st_desc_requires(d, "process");
    st_desc_uses(d, "container");
    st_desc_finding(d, "sdk_test", ST_LOW);
    st_desc_mitre(d, "Discovery", "T0000");
    st_desc_fields(d, "pathname", "ancestry", "container");
    for (int i = 0; i < 5; i++) {
        st_desc_select(d, "openat");
        char suffix[8];
        snprintf(suffix, sizeof suffix, "/%d", i);
        st_desc_filter(d, "pathname", ST_SUFFIX, suffix);
        if (i == 0) st_desc_filter(d, "container.id", ST_NOT_EQUAL, "");
    }
}

bool detector_init(const st_config *config, st_error *err) {
    st_strlist_free(&allow);
    if (!st_config_u64(config, "depth", 8, &depth, err)) return false;
    if (!st_config_bool(config, "verbose", false, &verbose, err)) return false;
    st_config_list(config, "allow", &allow);
    const char *k, *v;
    size_t n = 0;
    for (size_t i = 0; st_config_entry(config, i, &k, &v); i++) n++;
    return n == st_config_count(config) ? true : st_fail(err, "entry count");
}

void detector_close(void) { st_strlist_free(&allow); }

bool detector_on_event(const st_event *ev, st_detections *out, st_error *err) {
    if (read_all) {
        (void)read_everything(ev);
        return true;
    }
    st_string path;
    if (!st_arg_str(ev, "pathname", &path) || st_str_eq(&path, "/ignored")) return true;
    st_detection *d = st_detect(out);
    st_field_string(d, "pathname", &path);
    if (st_str_eq(&path, "/silent")) return false;
    if (st_str_eq(&path, "/twice")) {
        d = st_detect(out);
        st_field_string(d, "pathname", &path);
    }
    st_process_list chain;
    st_store_error e;
    st_strlist ancestry = {0};
    if (st_get_ancestry(st_event_entity_id(ev), (uint32_t)depth, &chain, &e)) {
        for (size_t i = 1; i < chain.len; i++)
            st_strlist_pushf(&ancestry, "%s(%u)", st_cstr(&chain.ptr[i].name), chain.ptr[i].pid);
        st_process_list_free(&chain);
    } else if (e.kind != ST_NOT_FOUND) {
        st_strlist_free(&ancestry);
        return st_fail(err, "process store: %s", e.text);
    }
    st_field_strlist(d, "ancestry", &ancestry);
    st_string container_id = st_event_container_id(ev);
    if (container_id.len) {
        st_set_severity(d, ST_CRITICAL);
        st_container c;
        char *id = st_str_dup(&container_id);
        if (st_get_container(id, &c, NULL)) {
            st_field_string(d, "container", &c.name);
            st_container_free(&c);
        }
        free(id);
    }
    if (st_str_eq(&path, "/dev/mem")) {
        st_list argv;
        st_string argv1 = {NULL, 0};
        CHECK(st_arg_list(ev, "argv", &argv) && st_list_len(&argv) == 2 && st_list_get(&argv, 1, &argv1));
        st_field_string(d, "argv1", &argv1);
        st_strlist argv_copy = {0};
        st_list_copy(&argv, &argv_copy);
        st_field_strlist(d, "argv", &argv_copy);
        st_field_str(d, "empty", NULL);
        uint64_t flags = 0;
        int64_t dirfd = 0;
        st_string s;
        st_arg_view a;
        CHECK(st_arg_uint(ev, "flags", &flags) && flags == 2);
        CHECK(st_arg_int(ev, "dirfd", &dirfd) && dirfd == -100);
        CHECK(!st_arg_uint(ev, "dirfd", &flags)); /* negative */
        CHECK(!st_arg_str(ev, "flags", &s));      /* wrong type */
        CHECK(!st_arg(ev, "missing", &a));
        CHECK(st_event_is(ev, "openat") && !st_event_is(ev, "open"));
        CHECK(st_event_seq(ev) == 5 && st_event_pid(ev) == 100);
        const uint8_t *bytes;
        size_t len;
        CHECK(st_arg_bytes(ev, "raw", &bytes, &len) && len == 3 && bytes[2] == 3);
        st_string comm = st_event_comm(ev);
        st_field_fmt(d, "formatted", "pid=%u flags=%llu comm=" ST_STR_FMT, st_event_pid(ev),
                     (unsigned long long)flags, ST_STR_ARG(comm));
        st_field_int(d, "dirfd", dirfd);
        st_field_bytes(d, "bytes", bytes, len);
        st_field_uint(d, "depth", depth);
        st_field_bool(d, "verbose", verbose);
        st_strlist copy = {0};
        for (size_t i = 0; i < allow.len; i++) st_strlist_push(&copy, st_strlist_get(&allow, i));
        st_field_strlist(d, "allowed", &copy);
        CHECK(copy.len == 0);
    }
    return true;
}
