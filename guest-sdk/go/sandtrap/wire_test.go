// Native tests of the event decoder and the batch loop (run by test.sh):
// the conformance vectors of guest-sdk/wire/testdata read through the
// public accessors, malformed buffers that must read as absent and never
// panic, and the per-event isolation of errors and panics.

package sandtrap

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"
)

// repoRoot is found from this file's location, so the test reads the
// vectors whatever the current directory.
func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func readVectors(t *testing.T) ([]byte, []jsonEvent) {
	dir := filepath.Join(repoRoot(t), "guest-sdk", "wire", "testdata")
	bin, err := os.ReadFile(filepath.Join(dir, "batch.bin"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(dir, "batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want []jsonEvent
	if err := json.Unmarshal(text, &want); err != nil {
		t.Fatal(err)
	}
	return bin, want
}

// The JSON form of batch.json: 64-bit integers as decimal strings, bytes
// as lowercase hex.
type jsonEvent struct {
	Seq       string    `json:"seq"`
	Timestamp string    `json:"timestamp"`
	Name      string    `json:"name"`
	Process   jsonProc  `json:"process"`
	Args      []jsonArg `json:"args"`
}

type jsonProc struct {
	EntityID       string `json:"entity_id"`
	ParentEntityID string `json:"parent_entity_id"`
	PID            uint32 `json:"pid"`
	TID            uint32 `json:"tid"`
	PPID           uint32 `json:"ppid"`
	StartTicks     string `json:"start_ticks"`
	UID            uint32 `json:"uid"`
	GID            uint32 `json:"gid"`
	CgroupID       string `json:"cgroup_id"`
	Comm           string `json:"comm"`
	Exe            string `json:"exe"`
	ContainerID    string `json:"container_id"`
}

type jsonArg struct {
	Name  string          `json:"name"`
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value"`
}

func u64(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("bad u64 %q in batch.json", s)
	}
	return v
}

// value turns an argument of batch.json into the Value the SDK should
// decode.
func (a jsonArg) value(t *testing.T) Value {
	t.Helper()
	var s string
	switch a.Kind {
	case "str":
		mustJSON(t, a.Value, &s)
		return Str(s)
	case "int":
		mustJSON(t, a.Value, &s)
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("bad int %q", s)
		}
		return Int(v)
	case "uint":
		mustJSON(t, a.Value, &s)
		return Uint(u64(t, s))
	case "bool":
		var b bool
		mustJSON(t, a.Value, &b)
		return Bool(b)
	case "bytes":
		mustJSON(t, a.Value, &s)
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("bad hex %q", s)
		}
		return Bytes(b)
	case "str-list":
		var l []string
		mustJSON(t, a.Value, &l)
		return StrList(l)
	}
	t.Fatalf("unknown kind %q in batch.json", a.Kind)
	return Value{}
}

func mustJSON(t *testing.T, raw json.RawMessage, into any) {
	t.Helper()
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("batch.json: %s: %v", raw, err)
	}
}

// sameValue compares two values of the same kind, treating nil and empty
// slices alike (an empty list or byte string decodes either way).
func sameValue(a, b Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case KindStr:
		return a.Str == b.Str
	case KindInt:
		return a.Int == b.Int
	case KindUint:
		return a.Uint == b.Uint
	case KindBool:
		return a.Bool == b.Bool
	case KindBytes:
		return bytes.Equal(a.Bytes, b.Bytes)
	case KindStrList:
		return len(a.StrList) == len(b.StrList) && (len(a.StrList) == 0 || reflect.DeepEqual(a.StrList, b.StrList))
	}
	return false
}

func TestConformanceVectors(t *testing.T) {
	bin, want := readVectors(t)
	batch := NewBatch(bin)
	if batch.Len() != len(want) {
		t.Fatalf("Len() = %d, batch.json has %d events", batch.Len(), len(want))
	}
	for i, w := range want {
		ev := batch.Event(i)
		check := func(field string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("event %d: %s = %#v, want %#v", i, field, got, want)
			}
		}
		check("Seq", ev.Seq(), u64(t, w.Seq))
		check("Timestamp", ev.Timestamp(), u64(t, w.Timestamp))
		check("Name", ev.Name(), w.Name)
		p := ev.Process
		check("EntityID", p.EntityID(), u64(t, w.Process.EntityID))
		check("ParentEntityID", p.ParentEntityID(), u64(t, w.Process.ParentEntityID))
		check("PID", p.PID(), w.Process.PID)
		check("TID", p.TID(), w.Process.TID)
		check("PPID", p.PPID(), w.Process.PPID)
		check("StartTicks", p.StartTicks(), u64(t, w.Process.StartTicks))
		check("UID", p.UID(), w.Process.UID)
		check("GID", p.GID(), w.Process.GID)
		check("CgroupID", p.CgroupID(), u64(t, w.Process.CgroupID))
		check("Comm", p.Comm(), w.Process.Comm)
		check("Exe", p.Exe(), w.Process.Exe)
		check("ContainerID", p.ContainerID(), w.Process.ContainerID)
		check("InContainer", ev.InContainer(), w.Process.ContainerID != "")
		check("ArgCount", ev.ArgCount(), len(w.Args))

		// Every argument, in order, with its kind and value.
		args := ev.Args()
		if len(args) != len(w.Args) {
			t.Fatalf("event %d: %d args, want %d", i, len(args), len(w.Args))
		}
		seen := map[string]bool{}
		for j, wa := range w.Args {
			wv := wa.value(t)
			if args[j].Name != wa.Name || !sameValue(args[j].Value, wv) {
				t.Errorf("event %d arg %d: %q = %#v, want %q = %#v", i, j, args[j].Name, args[j].Value, wa.Name, wv)
			}
			// A lookup by name answers with the first argument of that
			// name only.
			first := !seen[wa.Name]
			seen[wa.Name] = true
			if !first {
				continue
			}
			if v, ok := ev.Arg(wa.Name); !ok || !sameValue(v, wv) {
				t.Errorf("event %d: Arg(%q) = %#v, %v; want %#v", i, wa.Name, v, ok, wv)
			}
			checkTyped(t, ev, wa.Name, wv)
		}
		if _, ok := ev.Arg("no such argument"); ok {
			t.Errorf("event %d: a missing argument is present", i)
		}
	}
	if ev := batch.Event(len(want)); ev.Name() != "" || ev.ArgCount() != 0 {
		t.Errorf("an event past the end is not empty")
	}

	// The spec's named cases, spelt out.
	first := batch.Event(0)
	if s, ok := first.ArgStr("pathname"); !ok || s != "/memfd:x (deleted)" {
		t.Errorf(`ArgStr("pathname") = %q, %v: the first of two must win`, s, ok)
	}
	if v, ok := first.ArgInt("flags"); !ok || v != -1 {
		t.Errorf(`ArgInt("flags") = %d, %v`, v, ok)
	}
	if _, ok := first.ArgUint("flags"); ok {
		t.Errorf(`ArgUint("flags"): -1 does not fit uint64`)
	}
	if v, ok := first.ArgUint("inode"); !ok || v != math.MaxUint64 {
		t.Errorf(`ArgUint("inode") = %d, %v`, v, ok)
	}
	if _, ok := first.ArgInt("inode"); ok {
		t.Errorf(`ArgInt("inode"): MaxUint64 does not fit int64`)
	}
	if v, ok := first.ArgInt("min"); !ok || v != math.MinInt64 {
		t.Errorf(`ArgInt("min") = %d, %v`, v, ok)
	}
	if _, ok := first.ArgStr("argv"); ok {
		t.Errorf(`ArgStr("argv"): a kind mismatch must read as absent`)
	}
	if l, ok := first.ArgList("empty_list"); !ok || len(l) != 0 {
		t.Errorf(`ArgList("empty_list") = %q, %v`, l, ok)
	}
	if s, ok := first.ArgStr("empty_str"); !ok || s != "" {
		t.Errorf(`ArgStr("empty_str") = %q, %v`, s, ok)
	}
	if v, ok := batch.Event(2).ArgBool(""); !ok || v {
		t.Errorf(`ArgBool("") = %v, %v: empty names are names`, v, ok)
	}
}

// checkTyped reads an argument through the typed accessor of its kind and
// checks that the accessors of the other kinds say absent.
func checkTyped(t *testing.T, ev *Event, name string, want Value) {
	t.Helper()
	s, okStr := ev.ArgStr(name)
	b, okBool := ev.ArgBool(name)
	by, okBytes := ev.ArgBytes(name)
	l, okList := ev.ArgList(name)
	i, okInt := ev.ArgInt(name)
	u, okUint := ev.ArgUint(name)
	fail := func(what string) { t.Errorf("%s: %s (want %#v)", name, what, want) }
	if okStr != (want.Kind == KindStr) || (okStr && s != want.Str) {
		fail("ArgStr = " + strconv.Quote(s))
	}
	if okBool != (want.Kind == KindBool) || (okBool && b != want.Bool) {
		fail("ArgBool")
	}
	if okBytes != (want.Kind == KindBytes) || (okBytes && !bytes.Equal(by, want.Bytes)) {
		fail("ArgBytes")
	}
	if okList != (want.Kind == KindStrList) || (okList && !sameValue(StrList(l), want)) {
		fail("ArgList")
	}
	switch want.Kind {
	case KindInt:
		if !okInt || i != want.Int || okUint != (want.Int >= 0) || (okUint && u != uint64(want.Int)) {
			fail("ArgInt/ArgUint")
		}
	case KindUint:
		if !okUint || u != want.Uint || okInt != (want.Uint <= math.MaxInt64) || (okInt && uint64(i) != want.Uint) {
			fail("ArgInt/ArgUint")
		}
	default:
		if okInt || okUint {
			fail("an integer accessor answered")
		}
	}
}

// readAll calls every accessor of every event, plus lookups of the
// vectors' names, which is what a detector could do with a bad buffer.
func readAll(batch Batch) {
	for i := -1; i <= batch.Len(); i++ {
		ev := batch.Event(i)
		_, _, _ = ev.Seq(), ev.Timestamp(), ev.Name()
		p := ev.Process
		_, _, _, _ = p.EntityID(), p.ParentEntityID(), p.StartTicks(), p.CgroupID()
		_, _, _, _, _ = p.PID(), p.TID(), p.PPID(), p.UID(), p.GID()
		_, _, _ = p.Comm(), p.Exe(), p.ContainerID()
		_, _ = ev.InContainer(), ev.ArgCount()
		for _, f := range ev.Args() {
			_ = f.Value.Kind.String()
		}
		for _, name := range []string{"pathname", "argv", "flags", "inode", "fileless", "blob", "empty_list", "empty_str", "min", "", "remote_port"} {
			ev.Arg(name)
			ev.ArgStr(name)
			ev.ArgInt(name)
			ev.ArgUint(name)
			ev.ArgBool(name)
			ev.ArgBytes(name)
			ev.ArgList(name)
		}
	}
}

func TestEveryPrefixDecodes(t *testing.T) {
	bin, _ := readVectors(t)
	for n := 0; n <= len(bin); n++ {
		readAll(NewBatch(bin[:n]))
	}
	if NewBatch(bin[:3]).Len() != 0 || NewBatch(nil).Len() != 0 {
		t.Error("a buffer without a whole count must be empty")
	}
	// The count is cut to the offset table that fits.
	if got := NewBatch(bin[:9]).Len(); got != 1 {
		t.Errorf("9 bytes hold 1 offset, Len() = %d", got)
	}
}

func TestCorruptedBytesDecode(t *testing.T) {
	bin, _ := readVectors(t)
	buf := make([]byte, len(bin))
	for i := range bin {
		for _, v := range []byte{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff} {
			copy(buf, bin)
			buf[i] = v
			readAll(NewBatch(buf))
		}
	}
	// Every u32 field set to its extremes at once, four bytes at a time:
	// counts, offsets and lengths near 2^32 must not overflow a bound.
	for i := 0; i+4 <= len(bin); i++ {
		for _, v := range []uint32{math.MaxUint32, math.MaxUint32 - 7, 1 << 31} {
			copy(buf, bin)
			putU32(buf[i:], v)
			readAll(NewBatch(buf))
		}
	}
}

// ---- hand-built events for the malformed cases the vectors lack ----

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func putU64(b []byte, v uint64) {
	putU32(b, uint32(v))
	putU32(b[4:], uint32(v>>32))
}

type rawArg struct {
	name    string
	kind    byte
	payload [8]byte
}

// event encodes a header with the given name and the raw argument
// entries; data is appended after the table, and payload offsets are the
// caller's (relative to the event).
func event(name string, args []rawArg, data []byte) []byte {
	table := headerLen + argLen*len(args)
	b := make([]byte, table)
	put := func(at int, s string) {
		putU32(b[at:], uint32(len(b)))
		putU32(b[at+4:], uint32(len(s)))
		b = append(b, s...)
	}
	put(atName, name)
	putU32(b[atArgCount:], uint32(len(args)))
	for i, a := range args {
		e := headerLen + i*argLen
		put(e, a.name)
		b[e+8] = a.kind
		copy(b[e+16:], a.payload[:])
	}
	return append(b, data...)
}

func strPayload(off, n uint32) (p [8]byte) {
	putU32(p[:], off)
	putU32(p[4:], n)
	return p
}

func TestMalformedFieldsReadAsAbsent(t *testing.T) {
	var one [8]byte
	putU64(one[:], 1)
	ev := NewEvent(event("e", []rawArg{
		{name: "pathname", kind: 9, payload: one},       // unknown kind
		{name: "pathname", kind: wireStr, payload: one}, // never the answer
		{name: "far", kind: wireStr, payload: strPayload(math.MaxUint32, math.MaxUint32)},
		{name: "list", kind: wireStrList, payload: strPayload(0, math.MaxUint32)},
		{name: "bytes", kind: wireBytes, payload: strPayload(100000, 1)},
		{name: "\xff\xfe", kind: wireBool, payload: one}, // not UTF-8
		{name: "ok", kind: wireUint, payload: one},
	}, nil))
	if _, ok := ev.ArgStr("pathname"); ok {
		t.Error("a malformed first argument must hide the later one of the same name")
	}
	for _, name := range []string{"far", "list", "bytes", "\xff\xfe"} {
		if v, ok := ev.Arg(name); ok {
			t.Errorf("%q: malformed argument read as %#v", name, v)
		}
	}
	if v, ok := ev.ArgUint("ok"); !ok || v != 1 {
		t.Errorf("a good argument after bad ones: %d, %v", v, ok)
	}
	if got := ev.Args(); len(got) != 2 || got[0].Name != "pathname" || got[1].Name != "ok" {
		t.Errorf("Args() = %#v: want the second pathname and ok only", got)
	}

	// A string that is not UTF-8 is absent: "" for a fixed field.
	bad := event("\xc3\x28", nil, nil)
	if NewEvent(bad).Name() != "" {
		t.Error("invalid UTF-8 name must read as empty")
	}
	// Offsets out of order in the batch's table make an empty event.
	b := []byte{2, 0, 0, 0, 200, 0, 0, 0, 12, 0, 0, 0}
	b = append(b, event("z", nil, nil)...)
	batch := NewBatch(b)
	if batch.Len() != 2 || batch.Event(0).Name() != "" || batch.Event(1).Name() != "z" {
		t.Errorf("out-of-order offsets: %q %q", batch.Event(0).Name(), batch.Event(1).Name())
	}
	// A str-list whose table fits but whose entries do not: the list keeps
	// its length, the bad entry reads as "".
	list := event("l", []rawArg{{name: "argv", kind: wireStrList, payload: strPayload(0, 2)}}, nil)
	// The table at offset 0 is the seq and timestamp fields: seq (0, 0)
	// is "", timestamp points far outside the event.
	putU64(list[atTimestamp:], math.MaxUint64)
	if l, ok := NewEvent(list).ArgList("argv"); !ok || len(l) != 2 || l[0] != "" || l[1] != "" {
		t.Errorf("ArgList = %q, %v", l, ok)
	}
}

// ---- laziness, observed as allocations ----

func TestUnreadFieldsCostNothing(t *testing.T) {
	bin, _ := readVectors(t)
	ev := NewBatch(bin).Event(0)
	// Numbers, lookups by name and comparisons of strings kept in the
	// buffer decode no string.
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = ev.Seq(), ev.Process.PID()
		_ = ev.InContainer()
		_, _ = ev.ArgUint("inode")
		_, _ = ev.ArgBool("fileless")
		_, _ = ev.ArgStr("no such argument")
	})
	if allocs != 0 {
		t.Errorf("reading numbers allocated %v times", allocs)
	}
	// A string read is one copy.
	allocs = testing.AllocsPerRun(100, func() { _, _ = ev.ArgStr("pathname") })
	if allocs != 1 {
		t.Errorf("ArgStr allocated %v times, want 1", allocs)
	}
	// The batch loop itself decodes nothing: one allocation for the
	// events, whatever they hold.
	allocs = testing.AllocsPerRun(100, func() { runBatch(quiet{}, true, bin) })
	if allocs != 1 {
		t.Errorf("a batch the detector does not read allocated %v times, want 1", allocs)
	}
}

type quiet struct{}

func (quiet) Describe() Description               { return Description{} }
func (quiet) Init(Config) error                   { return nil }
func (quiet) OnEvent(*Event) ([]Detection, error) { return nil, nil }
func (quiet) Close()                              {}

// ---- the batch loop ----

// picky answers per event name: a detection, two, an error or a panic.
type picky struct{ quiet }

func (picky) OnEvent(ev *Event) ([]Detection, error) {
	switch ev.Name() {
	case "one":
		return []Detection{NewDetection().Str("comm", ev.Process.Comm())}, nil
	case "two":
		return []Detection{NewDetection(), NewDetection().WithSeverity(SeverityHigh)}, nil
	case "fail":
		return []Detection{NewDetection()}, errors.New("bad event")
	case "panic":
		var m map[string]int
		m["x"]++
	}
	return nil, nil
}

func batchOf(events ...[]byte) []byte {
	b := make([]byte, 4+4*len(events))
	putU32(b, uint32(len(events)))
	for i, e := range events {
		putU32(b[4+4*i:], uint32(len(b)))
		b = append(b, e...)
	}
	return b
}

func TestOneBadEventKeepsTheOthers(t *testing.T) {
	buf := batchOf(event("one", nil, nil), event("panic", nil, nil), event("none", nil, nil),
		event("fail", nil, nil), event("two", nil, nil))
	var idx []uint32
	var errs []found
	for _, f := range runBatch(picky{}, true, buf) {
		if f.isError {
			errs = append(errs, f)
		} else {
			idx = append(idx, f.index)
		}
	}
	if !reflect.DeepEqual(idx, []uint32{0, 4, 4}) {
		t.Errorf("detections at %v, want [0 4 4]", idx)
	}
	if len(errs) != 2 || errs[0].index != 1 || errs[1].index != 3 || errs[1].message != "bad event" {
		t.Fatalf("errors = %#v", errs)
	}
	if !bytes.Contains([]byte(errs[0].message), []byte("OnEvent panicked")) {
		t.Errorf("panic error = %q", errs[0].message)
	}

	// Without a detector, or before Init, every event says why.
	for _, d := range []Detector{nil, picky{}} {
		out := runBatch(d, false, buf)
		if len(out) != 5 || !out[4].isError || out[4].index != 4 {
			t.Errorf("not ready: %#v", out)
		}
	}
	if out := runBatch(picky{}, true, nil); out != nil {
		t.Error("an empty batch has no output")
	}
}
