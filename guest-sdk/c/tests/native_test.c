/*
 * Native (x86_64, AddressSanitizer) test of the C SDK's memory ownership.
 *
 * The component's exports are called the way the generated export glue
 * calls them: arguments allocated through cabi_realloc, as the host does,
 * and results released with the generated *_free functions, as the
 * generated *_post_return functions do. The store and host imports are
 * replaced by stubs here. A leak, double free or use after free in
 * sandtrap.c fails the run (LeakSanitizer / ASan); wrong results fail the
 * assertions. The test detector at the bottom exercises the helpers.
 *
 * Run by guest-sdk/c/test.sh.
 */
#include <assert.h>
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

bool sandtrap_detector_containers_get_container(detector_string_t *id, st_container *ret,
                                                sandtrap_detector_types_store_error_t *err) {
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

/* ---------------------------------------------------------- the events */

static void host_arg_str(st_field *f, const char *name, const char *value) {
    f->name = host_string(name);
    f->value.tag = ST_VALUE_STR;
    f->value.val.str = host_string(value);
}

static void host_arg_uint(st_field *f, const char *name, uint64_t value) {
    f->name = host_string(name);
    f->value.tag = ST_VALUE_UINT;
    f->value.val.uint = value;
}

static void host_arg_int(st_field *f, const char *name, int64_t value) {
    f->name = host_string(name);
    f->value.tag = ST_VALUE_INT;
    f->value.val.int_ = value;
}

static void host_arg_list(st_field *f, const char *name, const char *a, const char *b) {
    f->name = host_string(name);
    f->value.tag = ST_VALUE_STR_LIST;
    f->value.val.str_list.ptr = host_array(2, sizeof(st_string));
    f->value.val.str_list.len = 2;
    f->value.val.str_list.ptr[0] = host_string(a);
    f->value.val.str_list.ptr[1] = host_string(b);
}

/* An openat from entity `entity_id` (0: unknown to the process store,
 * 1: the store refuses the call). */
static st_event host_event(uint64_t entity_id, const char *pathname, const char *container) {
    st_event ev;
    memset(&ev, 0, sizeof ev);
    ev.seq = entity_id;
    ev.name = host_string("openat");
    ev.process.entity_id = entity_id;
    ev.process.pid = 100;
    ev.process.comm = host_string("cat");
    ev.process.exe = host_string("/bin/cat");
    ev.process.container_id = host_string(container);
    ev.args.ptr = host_array(5, sizeof(st_field));
    ev.args.len = 5;
    host_arg_str(&ev.args.ptr[0], "pathname", pathname);
    host_arg_uint(&ev.args.ptr[1], "flags", 2);
    host_arg_int(&ev.args.ptr[2], "dirfd", -100);
    host_arg_list(&ev.args.ptr[3], "argv", "cat", pathname);
    ev.args.ptr[4].name = host_string("raw");
    ev.args.ptr[4].value.tag = ST_VALUE_BYTES;
    ev.args.ptr[4].value.val.bytes.ptr = cabi_realloc(NULL, 0, 1, 3);
    memcpy(ev.args.ptr[4].value.val.bytes.ptr, "\x01\x02\x03", 3);
    ev.args.ptr[4].value.val.bytes.len = 3;
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

static void test_on_event(void) {
    st_event ev = host_event(5, "/dev/mem", "abcdefabcdefabcdef");
    st_detections out;
    detector_string_t err;
    CHECK(exports_sandtrap_detector_guest_on_event(&ev, &out, &err)); /* frees ev */
    CHECK(out.len == 1);
    if (out.len == 1) {
        st_detection *d = &out.ptr[0];
        CHECK(d->severity.is_some && d->severity.val == ST_CRITICAL);
        CHECK(field_is_str(d, "pathname", "/dev/mem"));
        CHECK(field_is_str(d, "container", "web"));
        CHECK(field_is_str(d, "argv1", "/dev/mem"));
        CHECK(field_is_str(d, "empty", ""));
        CHECK(field_is_str(d, "formatted", "pid=100 flags=2"));
        const st_field *f = field(d, "ancestry");
        CHECK(f && f->value.tag == ST_VALUE_STR_LIST && f->value.val.str_list.len == 2 &&
              st_str_eq(&f->value.val.str_list.ptr[1], "sshd(98)"));
        f = field(d, "dirfd");
        CHECK(f && f->value.tag == ST_VALUE_INT && f->value.val.int_ == -100);
        f = field(d, "bytes");
        CHECK(f && f->value.tag == ST_VALUE_BYTES && f->value.val.bytes.len == 3);
        f = field(d, "allowed");
        CHECK(f && f->value.tag == ST_VALUE_STR_LIST && f->value.val.str_list.len == 4);
    }
    exports_sandtrap_detector_guest_list_detection_free(&out); /* = post-return */

    /* A failure after a detection was appended: the detection is dropped. */
    st_event bad = host_event(1, "/fail", "");
    CHECK(!exports_sandtrap_detector_guest_on_event(&bad, &out, &err));
    CHECK(st_str_eq(&err, "process store: invalid argument: depth too large"));
    detector_string_free(&err);

    /* A failure without a message gets a default one. */
    st_event silent = host_event(2, "/silent", "");
    CHECK(!exports_sandtrap_detector_guest_on_event(&silent, &out, &err));
    CHECK(st_str_eq(&err, "detector_on_event failed"));
    detector_string_free(&err);
}

static void test_on_batch(void) {
    exports_sandtrap_detector_guest_list_event_t events = {host_array(6, sizeof(st_event)), 6};
    events.ptr[0] = host_event(5, "/dev/mem", "");
    events.ptr[1] = host_event(0, "/ignored", "");
    events.ptr[2] = host_event(1, "/fail", "");
    events.ptr[3] = host_event(5, "/twice", "");
    events.ptr[4] = host_event(0, "/dev/kmem", "short");
    events.ptr[5] = host_event(2, "/silent", "");
    exports_sandtrap_detector_guest_batch_output_t out;
    exports_sandtrap_detector_guest_on_batch(&events, &out); /* frees events */
    CHECK(out.detections.len == 4);
    if (out.detections.len == 4) {
        CHECK(out.detections.ptr[0].index == 0);
        CHECK(out.detections.ptr[1].index == 3 && out.detections.ptr[2].index == 3);
        CHECK(out.detections.ptr[3].index == 4);
        CHECK(field_is_str(&out.detections.ptr[2].detection, "pathname", "/twice"));
        const st_field *f = field(&out.detections.ptr[3].detection, "ancestry");
        CHECK(f && f->value.val.str_list.len == 0);
    }
    CHECK(out.errors.len == 2);
    if (out.errors.len == 2) {
        CHECK(out.errors.ptr[0].index == 2 && out.errors.ptr[1].index == 5);
    }
    exports_sandtrap_detector_guest_batch_output_free(&out); /* = post-return */
}

static void test_helpers(void) {
    /* Host strings are NUL-terminated in place. */
    st_string s = host_string("kcore");
    CHECK(strcmp(st_cstr(&s), "kcore") == 0);
    CHECK(st_str_has_prefix(&s, "kc") && st_str_has_suffix(&s, "ore") && !st_str_has_suffix(&s, "xkcore"));
    detector_string_free(&s);
    st_string empty = {(uint8_t *)1, 0}; /* how the canonical ABI passes "" */
    CHECK(strcmp(st_cstr(&empty), "") == 0);

    char *f = st_format("%s(%u)", "bash", 42u);
    CHECK(strcmp(f, "bash(42)") == 0);
    free(f);
    char *e = st_format("%s", "");
    CHECK(e && e[0] == 0);
    free(e);

    st_strlist l = {0};
    for (int i = 0; i < 100; i++) st_strlist_pushf(&l, "item-%d", i);
    CHECK(l.len == 100 && strcmp(st_strlist_get(&l, 99), "item-99") == 0);
    CHECK(st_strlist_get(&l, 100) == NULL);
    CHECK(st_strlist_contains(&l, "item-57") && !st_strlist_contains(&l, "item-100"));
    st_strlist_free(&l);
    CHECK(l.len == 0 && l.ptr == NULL);

    CHECK(st_now() == 1700000000000000000ull);
}

int main(void) {
    test_describe();
    test_init();
    test_on_event();
    test_on_batch();
    test_helpers();
    exports_sandtrap_detector_guest_close();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c sdk native test: ok\n");
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
    const char *path = st_arg_str(ev, "pathname");
    if (!path || strcmp(path, "/ignored") == 0) return true;
    st_detection *d = st_detect(out);
    st_field_str(d, "pathname", path);
    if (strcmp(path, "/silent") == 0) return false;
    if (strcmp(path, "/twice") == 0) {
        d = st_detect(out);
        st_field_str(d, "pathname", path);
    }
    st_process_list chain;
    st_store_error e;
    st_strlist ancestry = {0};
    if (st_get_ancestry(ev->process.entity_id, (uint32_t)depth, &chain, &e)) {
        for (size_t i = 1; i < chain.len; i++)
            st_strlist_pushf(&ancestry, "%s(%u)", st_cstr(&chain.ptr[i].name), chain.ptr[i].pid);
        st_process_list_free(&chain);
    } else if (e.kind != ST_NOT_FOUND) {
        st_strlist_free(&ancestry);
        return st_fail(err, "process store: %s", e.text);
    }
    st_field_strlist(d, "ancestry", &ancestry);
    if (ev->process.container_id.len) {
        st_set_severity(d, ST_CRITICAL);
        st_container c;
        if (st_get_container(st_cstr(&ev->process.container_id), &c, NULL)) {
            st_field_string(d, "container", &c.name);
            st_container_free(&c);
        }
    }
    if (strcmp(path, "/dev/mem") == 0) {
        const st_strlist *argv = st_arg_list(ev, "argv");
        st_field_str(d, "argv1", argv ? st_strlist_get(argv, 1) : NULL);
        st_field_str(d, "empty", NULL);
        uint64_t flags = 0;
        int64_t dirfd = 0;
        CHECK(st_arg_uint(ev, "flags", &flags) && flags == 2);
        CHECK(st_arg_int(ev, "dirfd", &dirfd) && dirfd == -100);
        CHECK(!st_arg_uint(ev, "dirfd", &flags)); /* negative */
        CHECK(st_arg_str(ev, "flags") == NULL);   /* wrong type */
        CHECK(st_arg(ev, "missing") == NULL);
        CHECK(st_event_is(ev, "openat"));
        const uint8_t *bytes;
        size_t len;
        CHECK(st_arg_bytes(ev, "raw", &bytes, &len) && len == 3 && bytes[2] == 3);
        st_field_fmt(d, "formatted", "pid=%u flags=%llu", ev->process.pid, (unsigned long long)flags);
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
