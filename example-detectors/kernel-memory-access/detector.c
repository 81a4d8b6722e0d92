/*
 * kernel-memory-access — a process opened a device or pseudo-file that
 * exposes raw kernel or physical memory: /proc/kcore (the kernel's memory
 * as an ELF core), /dev/mem (physical memory), /dev/kmem (kernel virtual
 * memory) or /dev/port (I/O ports). Reading them is how keys and
 * credentials are dumped from the kernel; writing them is how a rootkit
 * patches a running kernel without loading a module.
 *
 * Paths are judged by their last two components after lexical clean-up
 * ("//proc/./sys/../kcore" is /proc/kcore), so extra slashes, "." and ".."
 * do not hide an open, and a host /dev mounted elsewhere (/host/dev/mem,
 * /proc/1/root/dev/mem) is still recognised. The host-side selectors only
 * let through opens whose path ends in one of the four names, so ordinary
 * opens never enter the sandbox.
 */
#include <string.h>

#include "sandtrap.h"

/* Linux open(2) flags; the syscall arguments carry the raw value. */
#define O_ACCMODE 03u
#define O_WRONLY 01u
#define O_RDWR 02u
#define O_PATH 010000000u

/* TASK_COMM_LEN - 1: the kernel keeps this many bytes of a command name. */
#define COMM_MAX 15

/* How many ancestors a finding shows (plus the process itself). */
#define ANCESTRY_DEPTH 8

static const struct device {
    const char *dir;      /* second-to-last path component */
    const char *name;     /* last path component */
    const char *path;     /* reported as `device` */
    const char *selector; /* host-side suffix filter on `pathname` */
} DEVICES[] = {
    {"proc", "kcore", "/proc/kcore", "/kcore"},
    {"dev", "mem", "/dev/mem", "/mem"},
    {"dev", "kmem", "/dev/kmem", "/kmem"},
    {"dev", "port", "/dev/port", "/port"},
};
#define N_DEVICES (sizeof DEVICES / sizeof DEVICES[0])

/* Configuration, copied out of init's arguments (which are freed after). */
static st_strlist allow_comm; /* entries cut to COMM_MAX bytes */
static st_strlist allow_exe;

void detector_describe(st_desc *d) {
    st_desc_id(d, "kernel-memory-access", "Kernel memory access", "0.1.0");
    st_desc_text(d, "A process opened /proc/kcore, /dev/mem, /dev/kmem or /dev/port, which expose "
                    "raw kernel or physical memory.");
    /* Both stores only enrich the finding; the decision needs neither. */
    st_desc_uses(d, "process");
    st_desc_uses(d, "container");
    st_desc_finding(d, "kernel_memory_access", ST_HIGH);
    st_desc_finding_text(d, "Raw kernel or physical memory opened: credential and key dumping "
                            "when read, kernel tampering when written");
    st_desc_mitre(d, "Credential Access", "T1003");
    st_desc_fields(d, "pathname", "device", "access", "flags", "technique", "ancestry",
                   "container_id", "container_name", "container_image");
    static const char *const events[] = {"openat", "openat2"};
    for (size_t e = 0; e < 2; e++) {
        for (size_t i = 0; i < N_DEVICES; i++) {
            st_desc_select(d, events[e]);
            st_desc_filter(d, "pathname", ST_SUFFIX, DEVICES[i].selector);
        }
    }
}

bool detector_init(const st_config *config, st_error *err) {
    (void)err;
    st_strlist_free(&allow_comm);
    st_strlist_free(&allow_exe);
    st_strlist comms = {0};
    st_config_list(config, "allow_comm", &comms);
    for (size_t i = 0; i < comms.len; i++) {
        /* A configured "systemd-coredump-helper" must match the comm the
         * kernel reports, "systemd-coredum". */
        size_t n = comms.ptr[i].len < COMM_MAX ? comms.ptr[i].len : COMM_MAX;
        st_strlist_pushn(&allow_comm, st_strlist_get(&comms, i), n);
    }
    st_strlist_free(&comms);
    st_config_list(config, "allow_exe", &allow_exe);
    return true;
}

void detector_close(void) {
    st_strlist_free(&allow_comm);
    st_strlist_free(&allow_exe);
}

static bool component_is(const char *start, size_t len, const char *name) {
    return strlen(name) == len && memcmp(start, name, len) == 0;
}

/*
 * The device `path` names, or NULL. Walks the components from the end,
 * skipping "" and "." and cancelling one component per "..", until the last
 * two real components are known. Purely lexical: symlinks are not followed
 * (the host sees the path the process passed, not the file it reached).
 * The path is an event string, so it is bounded by its length, not by a
 * terminator.
 */
static const struct device *device_of(const st_string *pathname) {
    const char *path = (const char *)pathname->ptr;
    const char *comp[2];
    size_t comp_len[2];
    size_t found = 0, skip = 0;
    size_t end = pathname->len;
    while (end > 0 && found < 2) {
        size_t start = end;
        while (start > 0 && path[start - 1] != '/') start--;
        const char *c = path + start;
        size_t len = end - start;
        if (len == 0 || component_is(c, len, ".")) {
            /* nothing */
        } else if (component_is(c, len, "..")) {
            skip++;
        } else if (skip > 0) {
            skip--;
        } else {
            comp[found] = c;
            comp_len[found] = len;
            found++;
        }
        if (start == 0) break;
        end = start - 1;
    }
    /* A bare "mem" is relative to a directory the event does not name. */
    if (found < 2) return NULL;
    for (size_t i = 0; i < N_DEVICES; i++) {
        if (component_is(comp[0], comp_len[0], DEVICES[i].name) &&
            component_is(comp[1], comp_len[1], DEVICES[i].dir))
            return &DEVICES[i];
    }
    return NULL;
}

static bool allowed(const st_event *ev) {
    st_string comm = st_event_comm(ev);
    if (st_strlist_contains_str(&allow_comm, &comm)) return true;
    st_string exe = st_event_exe(ev);
    return exe.len > 0 && st_strlist_contains_str(&allow_exe, &exe);
}

/* "name(pid)" for each ancestor, nearest first; empty when the process
 * store does not know the process. */
static st_strlist ancestry_of(const st_event *ev) {
    st_strlist out = {0};
    st_process_list chain;
    st_store_error e;
    if (!st_get_ancestry(st_event_entity_id(ev), ANCESTRY_DEPTH, &chain, &e)) {
        if (e.kind != ST_NOT_FOUND) st_log_warn("process store: %s; reporting without ancestry", e.text);
        return out;
    }
    /* [0] is the process itself. Names are views into the answer, read
     * before it is freed. */
    st_process p;
    for (size_t i = 1; st_process_list_get(&chain, i, &p); i++) {
        st_string name = st_process_name(&p);
        st_strlist_pushf(&out, ST_STR_FMT "(%u)", ST_STR_ARG(name), (unsigned)st_process_pid(&p));
    }
    st_process_list_free(&chain);
    return out;
}

static void add_container(st_detection *det, const st_string *id) {
    st_field_string(det, "container_id", id);
    st_container c;
    st_store_error e;
    /* The store takes a C string; the id is a view into the event. */
    char *cid = st_str_dup(id);
    bool found = st_get_container(cid, &c, &e);
    free(cid);
    if (!found) {
        /* The collector knows the id from the cgroup before the runtime API
         * described the container; the id alone still identifies it. */
        if (e.kind != ST_NOT_FOUND) st_log_warn("container store: %s", e.text);
        return;
    }
    st_string name = st_container_name(&c);
    st_string image = st_container_image(&c);
    if (name.len) st_field_string(det, "container_name", &name);
    if (image.len) st_field_string(det, "container_image", &image);
    st_container_free(&c);
}

bool detector_on_event(const st_event *ev, st_detections *out, st_error *err) {
    (void)err;
    st_string pathname;
    if (!st_arg_str(ev, "pathname", &pathname)) return true;
    const struct device *dev = device_of(&pathname);
    if (!dev) return true; /* /proc/PID/mem, /dev/shm/mem, ~/notes/port … */

    uint64_t flags = 0;
    bool have_flags = st_arg_uint(ev, "flags", &flags);
    /* O_PATH only names the file: nothing can be read or written through it. */
    if (have_flags && (flags & O_PATH)) return true;
    const char *access = "unknown";
    bool writes = false;
    if (have_flags) {
        switch (flags & O_ACCMODE) {
        case O_WRONLY: access = "write"; writes = true; break;
        case O_RDWR: access = "read-write"; writes = true; break;
        case O_ACCMODE: access = "ioctl"; break; /* Linux: no read or write, ioctl only */
        default: access = "read"; break;
        }
    }

    /* Allowed diagnostic tools (kdump, crash, dmidecode) only need to read;
     * a write stays reported whoever makes it, since none of them patch the
     * kernel in normal operation and a comm name is trivial to borrow. */
    if (!writes && allowed(ev)) return true;

    st_string container_id = st_event_container_id(ev);
    bool in_container = container_id.len > 0;
    st_detection *det = st_detect(out);
    if (in_container || writes) st_set_severity(det, ST_CRITICAL);
    st_field_string(det, "pathname", &pathname);
    st_field_str(det, "device", dev->path);
    st_field_str(det, "access", access);
    if (have_flags) st_field_uint(det, "flags", flags);
    /* The definition says T1003 (reading is the common case); a write is
     * the rootkit technique. */
    st_field_str(det, "technique", writes ? "T1014" : "T1003");
    st_strlist ancestry = ancestry_of(ev);
    st_field_strlist(det, "ancestry", &ancestry);
    if (in_container) add_container(det, &container_id);
    return true;
}
