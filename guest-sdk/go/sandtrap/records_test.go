// Native tests of the store-answer views (run by test.sh): the five
// answer vectors of guest-sdk/wire/testdata decoded through the public
// views and compared field by field with answers.json, every prefix and
// corrupted byte of them read without a panic, hand-built malformed
// records that must read as absent, and allocation counts showing that
// unread fields cost nothing.

package sandtrap

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The JSON form of answers.json: 64-bit integers as decimal strings, an
// absent exit_time or pod as null, the status by its lowercase name.
type jsonAnswers struct {
	Processes  jsonAnswer[jsonProcess]    `json:"processes"`
	Containers jsonAnswer[jsonContainer]  `json:"containers"`
	DNS        jsonAnswer[jsonDNS]        `json:"dns"`
	Symbols    jsonAnswer[jsonSymbol]     `json:"symbols"`
	Reputation jsonAnswer[jsonReputation] `json:"reputation"`
}

type jsonAnswer[T any] struct {
	File    string `json:"file"`
	Records []T    `json:"records"`
}

type jsonProcess struct {
	EntityID       string   `json:"entity_id"`
	ParentEntityID string   `json:"parent_entity_id"`
	StartTime      string   `json:"start_time"`
	ExitTime       *string  `json:"exit_time"`
	PID            uint32   `json:"pid"`
	PPID           uint32   `json:"ppid"`
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	Name           string   `json:"name"`
	Exe            string   `json:"exe"`
	ContainerID    string   `json:"container_id"`
	Argv           []string `json:"argv"`
}

type jsonContainer struct {
	StartTime   string   `json:"start_time"`
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Image       string   `json:"image"`
	ImageDigest string   `json:"image_digest"`
	Runtime     string   `json:"runtime"`
	Pod         *jsonPod `json:"pod"`
}

type jsonPod struct {
	Name      string `json:"name"`
	UID       string `json:"uid"`
	Namespace string `json:"namespace"`
	Sandbox   bool   `json:"sandbox"`
}

type jsonDNS struct {
	Query   string   `json:"query"`
	IPs     []string `json:"ips"`
	Domains []string `json:"domains"`
}

type jsonSymbol struct {
	Query   string `json:"query"`
	Address string `json:"address"`
	Name    string `json:"name"`
	Module  string `json:"module"`
}

type jsonReputation struct {
	LastUpdated string   `json:"last_updated"`
	IP          string   `json:"ip"`
	Source      string   `json:"source"`
	Tags        []string `json:"tags"`
	Status      string   `json:"status"`
	Severity    uint8    `json:"severity"`
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "guest-sdk", "wire", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAnswers(t *testing.T) jsonAnswers {
	t.Helper()
	var a jsonAnswers
	if err := json.Unmarshal(testdata(t, "answers.json"), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// answerFiles are the vectors, so the malformed-input tests cover every
// kind without knowing what answers.json says.
var answerFiles = []string{"processes.bin", "containers.bin", "dns.bin", "symbols.bin", "reputation.bin"}

// sameList compares string lists, nil and empty alike.
func sameList(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

// checker reports a field that differs, naming the record.
type checker struct {
	t    *testing.T
	kind string
	i    int
}

func (c checker) eq(field string, got, want any) {
	c.t.Helper()
	if got != want {
		c.t.Errorf("%s[%d].%s = %#v, want %#v", c.kind, c.i, field, got, want)
	}
}

func (c checker) list(field string, got, want []string) {
	c.t.Helper()
	if !sameList(got, want) {
		c.t.Errorf("%s[%d].%s = %q, want %q", c.kind, c.i, field, got, want)
	}
}

// checkLen compares the record count, and checks that iterating with All
// visits the same records as At, in order.
func checkLen[T recordView](t *testing.T, kind string, r Records[T], want int) {
	t.Helper()
	if r.Len() != want {
		t.Fatalf("%s: Len() = %d, answers.json has %d records", kind, r.Len(), want)
	}
	n := 0
	for i, v := range r.All() {
		if i != n || !reflect.DeepEqual(v, r.At(i)) {
			t.Errorf("%s: All() yielded record %d at position %d", kind, i, n)
		}
		n++
	}
	if n != want {
		t.Errorf("%s: All() yielded %d records, want %d", kind, n, want)
	}
}

func TestAnswerVectorsProcesses(t *testing.T) {
	want := readAnswers(t).Processes
	list := NewRecords[ProcessInfo](testdata(t, want.File))
	checkLen(t, "processes", list, len(want.Records))
	for i, w := range want.Records {
		p, c := list.At(i), checker{t, "processes", i}
		c.eq("EntityID", p.EntityID(), u64(t, w.EntityID))
		c.eq("ParentEntityID", p.ParentEntityID(), u64(t, w.ParentEntityID))
		c.eq("StartTime", p.StartTime(), u64(t, w.StartTime))
		exit, exited := p.ExitTime()
		c.eq("ExitTime set", exited, w.ExitTime != nil)
		if w.ExitTime != nil {
			c.eq("ExitTime", exit, u64(t, *w.ExitTime))
		}
		c.eq("PID", p.PID(), w.PID)
		c.eq("PPID", p.PPID(), w.PPID)
		c.eq("UID", p.UID(), w.UID)
		c.eq("GID", p.GID(), w.GID)
		c.eq("Name", p.Name(), w.Name)
		c.eq("Exe", p.Exe(), w.Exe)
		c.eq("ContainerID", p.ContainerID(), w.ContainerID)
		c.list("Argv", p.Argv(), w.Argv)
		if w.Name != "" {
			c.eq("Is(name)", p.Is(w.Name), true)
		}
		if w.Exe != "" {
			c.eq("Is(basename of exe)", p.Is(filepath.Base(w.Exe)), true)
		}
		c.eq("Is(other)", p.Is("no-such-binary"), false)
	}
	// The answer of get-process is the first record.
	if got := single[ProcessInfo](testdata(t, want.File)).EntityID(); got != u64(t, want.Records[0].EntityID) {
		t.Errorf("single: EntityID = %d", got)
	}
}

func TestAnswerVectorsContainers(t *testing.T) {
	want := readAnswers(t).Containers
	list := NewRecords[ContainerInfo](testdata(t, want.File))
	checkLen(t, "containers", list, len(want.Records))
	for i, w := range want.Records {
		ctr, c := list.At(i), checker{t, "containers", i}
		c.eq("StartTime", ctr.StartTime(), u64(t, w.StartTime))
		c.eq("ID", ctr.ID(), w.ID)
		c.eq("Name", ctr.Name(), w.Name)
		c.eq("Image", ctr.Image(), w.Image)
		c.eq("ImageDigest", ctr.ImageDigest(), w.ImageDigest)
		c.eq("Runtime", ctr.Runtime(), w.Runtime)
		pod, ok := ctr.Pod()
		c.eq("Pod present", ok, w.Pod != nil)
		if w.Pod != nil {
			c.eq("Pod.Name", pod.Name(), w.Pod.Name)
			c.eq("Pod.UID", pod.UID(), w.Pod.UID)
			c.eq("Pod.Namespace", pod.Namespace(), w.Pod.Namespace)
			c.eq("Pod.Sandbox", pod.Sandbox(), w.Pod.Sandbox)
		}
	}
}

func TestAnswerVectorsDNS(t *testing.T) {
	want := readAnswers(t).DNS
	list := NewRecords[DNSResponse](testdata(t, want.File))
	checkLen(t, "dns", list, len(want.Records))
	for i, w := range want.Records {
		r, c := list.At(i), checker{t, "dns", i}
		c.eq("Query", r.Query(), w.Query)
		c.list("IPs", r.IPs(), w.IPs)
		c.list("Domains", r.Domains(), w.Domains)
	}
}

func TestAnswerVectorsSymbols(t *testing.T) {
	want := readAnswers(t).Symbols
	list := NewRecords[SymbolInfo](testdata(t, want.File))
	checkLen(t, "symbols", list, len(want.Records))
	for i, w := range want.Records {
		s, c := list.At(i), checker{t, "symbols", i}
		c.eq("Query", s.Query(), u64(t, w.Query))
		c.eq("Address", s.Address(), u64(t, w.Address))
		c.eq("Name", s.Name(), w.Name)
		c.eq("Module", s.Module(), w.Module)
	}
}

func TestAnswerVectorsReputation(t *testing.T) {
	want := readAnswers(t).Reputation
	list := NewRecords[ReputationRecord](testdata(t, want.File))
	checkLen(t, "reputation", list, len(want.Records))
	for i, w := range want.Records {
		r, c := list.At(i), checker{t, "reputation", i}
		c.eq("LastUpdated", r.LastUpdated(), u64(t, w.LastUpdated))
		c.eq("IP", r.IP(), w.IP)
		c.eq("Source", r.Source(), w.Source)
		c.list("Tags", r.Tags(), w.Tags)
		c.eq("Status", r.Status().String(), w.Status)
		c.eq("Severity", r.Severity(), w.Severity)
		// The writable copy carries the same entry.
		e := r.Reputation()
		c.eq("Reputation().IP", e.IP, w.IP)
		c.eq("Reputation().Status", e.Status, r.Status())
		c.eq("Reputation().Severity", e.Severity, w.Severity)
		c.eq("Reputation().LastUpdated", e.LastUpdated, u64(t, w.LastUpdated))
		c.list("Reputation().Tags", e.Tags, w.Tags)
	}
}

// readAllRecords calls every accessor of every record of buf read as each
// kind (a malformed answer may be read as any of them), which is what a
// detector could do with a bad answer. Out-of-range indexes included.
func readAllRecords(buf []byte) {
	procs := NewRecords[ProcessInfo](buf)
	for i := -1; i <= procs.Len(); i++ {
		p := procs.At(i)
		_, _, _ = p.EntityID(), p.ParentEntityID(), p.StartTime()
		_, _ = p.ExitTime()
		_, _, _, _ = p.PID(), p.PPID(), p.UID(), p.GID()
		_, _, _, _ = p.Name(), p.Exe(), p.ContainerID(), p.Argv()
		_, _ = p.Is("bash"), p.Is("")
	}
	for _, c := range NewRecords[ContainerInfo](buf).All() {
		_, _, _, _, _, _ = c.StartTime(), c.ID(), c.Name(), c.Image(), c.ImageDigest(), c.Runtime()
		pod, _ := c.Pod()
		_, _, _, _ = pod.Name(), pod.UID(), pod.Namespace(), pod.Sandbox()
	}
	for _, r := range NewRecords[DNSResponse](buf).All() {
		_, _, _ = r.Query(), r.IPs(), r.Domains()
	}
	for _, s := range NewRecords[SymbolInfo](buf).All() {
		_, _, _, _ = s.Query(), s.Address(), s.Name(), s.Module()
	}
	for _, r := range NewRecords[ReputationRecord](buf).All() {
		_, _, _, _ = r.LastUpdated(), r.IP(), r.Source(), r.Tags()
		_, _, _ = r.Status().String(), r.Severity(), r.Reputation()
	}
	_ = single[ProcessInfo](buf).Name()
	_ = single[DNSResponse](buf).IPs()
}

func TestAnswerPrefixesDecode(t *testing.T) {
	for _, f := range answerFiles {
		bin := testdata(t, f)
		for n := 0; n <= len(bin); n++ {
			readAllRecords(bin[:n])
		}
		// The count is cut to the offset table that fits.
		if got := NewRecords[ProcessInfo](bin[:9]).Len(); got != 1 {
			t.Errorf("%s: 9 bytes hold 1 offset, Len() = %d", f, got)
		}
	}
	if NewRecords[ProcessInfo](nil).Len() != 0 || NewRecords[ProcessInfo]([]byte{5, 0, 0}).Len() != 0 {
		t.Error("a buffer without a whole count must be empty")
	}
}

func TestAnswerCorruptedBytesDecode(t *testing.T) {
	for _, f := range answerFiles {
		bin := testdata(t, f)
		buf := make([]byte, len(bin))
		for i := range bin {
			for _, v := range []byte{0x00, 0x01, 0x03, 0x04, 0x7f, 0x80, 0xfe, 0xff} {
				copy(buf, bin)
				buf[i] = v
				readAllRecords(buf)
			}
		}
		// Counts, offsets and lengths near 2^32, four bytes at a time,
		// must not overflow a bound.
		for i := 0; i+4 <= len(bin); i++ {
			for _, v := range []uint32{math.MaxUint32, math.MaxUint32 - 7, 1 << 31, uint32(len(bin))} {
				copy(buf, bin)
				putU32(buf[i:], v)
				readAllRecords(buf)
			}
		}
	}
}

// ---- hand-built answers for the malformed cases the vectors lack ----

// answerOf frames records as a record list.
func answerOf(records ...[]byte) []byte { return batchOf(records...) }

func TestMalformedRecordsReadAsAbsent(t *testing.T) {
	// A record shorter than its fixed part: every field that does not fit
	// is absent, those that fit are read.
	short := make([]byte, 36)
	putU64(short[procEntityID:], 7)
	putU32(short[procPID:], 99)
	p := NewRecords[ProcessInfo](answerOf(short)).At(0)
	if p.EntityID() != 7 || p.PID() != 99 {
		t.Errorf("fields that fit: EntityID %d, PID %d", p.EntityID(), p.PID())
	}
	if p.PPID() != 0 || p.Name() != "" || p.Argv() != nil || p.Is("") {
		t.Errorf("fields past the end: PPID %d, Name %q, Argv %q", p.PPID(), p.Name(), p.Argv())
	}
	if _, ok := p.ExitTime(); ok {
		t.Error("a zero exit time means the process runs")
	}

	// A str-list whose table does not fit reads as empty; one whose
	// table fits but whose entries do not keeps its length with "".
	rec := make([]byte, 80)
	putU32(rec[procArgv:], 0)
	putU32(rec[procArgv+4:], 11) // 88 bytes of table in an 80-byte record
	if a := NewRecords[ProcessInfo](answerOf(rec)).At(0).Argv(); len(a) != 0 {
		t.Errorf("Argv with a table past the end = %q", a)
	}
	putU32(rec[procArgv+4:], 2) // the table is the entity and parent ids
	putU64(rec[procEntityID:], 0)
	putU64(rec[procParentEntityID:], math.MaxUint64)
	if a := NewRecords[ProcessInfo](answerOf(rec)).At(0).Argv(); len(a) != 2 || a[0] != "" || a[1] != "" {
		t.Errorf("Argv with bad entries = %q", a)
	}

	// A name that is not UTF-8 is absent, and cannot match Is.
	bad := append(make([]byte, 80), 0xc3, 0x28)
	putU32(bad[procName:], 80)
	putU32(bad[procName+4:], 2)
	if p := NewRecords[ProcessInfo](answerOf(bad)).At(0); p.Name() != "" || p.Is("\xc3\x28") {
		t.Errorf("invalid UTF-8 name read as %q", p.Name())
	}

	// A container whose flags say "pod" but whose pod strings do not
	// fit has a pod with empty fields; a record too short for the flags
	// has none.
	ctr := make([]byte, 80)
	ctr[ctrFlags] = ctrHasPod | ctrSandbox
	putU32(ctr[ctrPodName:], 1000)
	putU32(ctr[ctrPodName+4:], 1)
	pod, ok := NewRecords[ContainerInfo](answerOf(ctr)).At(0).Pod()
	if !ok || !pod.Sandbox() || pod.Name() != "" {
		t.Errorf("pod with bad strings: ok %v, sandbox %v, name %q", ok, pod.Sandbox(), pod.Name())
	}
	if _, ok := NewRecords[ContainerInfo](answerOf(ctr[:72])).At(0).Pod(); ok {
		t.Error("a record without a flags byte has no pod")
	}
	ctr[ctrFlags] = ctrSandbox // sandbox without pod: no pod
	if _, ok := NewRecords[ContainerInfo](answerOf(ctr)).At(0).Pod(); ok {
		t.Error("the sandbox bit alone is not a pod")
	}

	// An unknown status reads as unknown; a missing severity as 0.
	rep := make([]byte, 40)
	rep[repStatus] = 4
	rep[repSeverity] = 7
	if r := NewRecords[ReputationRecord](answerOf(rep)).At(0); r.Status() != ReputationUnknown || r.Severity() != 7 {
		t.Errorf("status 4: %v, severity %d", r.Status(), r.Severity())
	}
	if r := NewRecords[ReputationRecord](answerOf(rep[:33])).At(0); r.Severity() != 0 {
		t.Errorf("severity past the end = %d", r.Severity())
	}

	// Offsets out of order make an empty record; the others still read.
	sym := make([]byte, 32)
	putU64(sym[symAddress:], 0xffffffff81000000)
	b := []byte{2, 0, 0, 0, 200, 0, 0, 0, 12, 0, 0, 0}
	b = append(b, sym...)
	list := NewRecords[SymbolInfo](b)
	if list.Len() != 2 || list.At(0).Address() != 0 || list.At(1).Address() != 0xffffffff81000000 {
		t.Errorf("out-of-order offsets: %x %x", list.At(0).Address(), list.At(1).Address())
	}

	// A one-record answer with no record reads as an empty record, and
	// the zero value of a view is one too.
	if p := single[ProcessInfo](answerOf()); p.EntityID() != 0 || p.Name() != "" {
		t.Error("single of an empty answer is not empty")
	}
	if (ProcessInfo{}).Name() != "" || (DNSResponse{}).IPs() != nil {
		t.Error("the zero view is not empty")
	}
	var none Records[SymbolInfo]
	for range none.All() {
		t.Error("the zero list has records")
	}
}

// ---- laziness, observed as allocations ----

func TestUnreadRecordFieldsCostNothing(t *testing.T) {
	procs := testdata(t, "processes.bin")
	ctrs := testdata(t, "containers.bin")
	// Framing an answer, numbers, flags and name matches decode and copy
	// nothing.
	allocs := testing.AllocsPerRun(100, func() {
		list := NewRecords[ProcessInfo](procs)
		for _, p := range list.All() {
			_, _, _ = p.EntityID(), p.PID(), p.UID()
			_, _ = p.ExitTime()
			_ = p.Is("bash")
		}
		c := single[ContainerInfo](ctrs)
		pod, _ := c.Pod()
		_, _ = pod.Sandbox(), c.StartTime()
	})
	if allocs != 0 {
		t.Errorf("reading numbers allocated %v times", allocs)
	}
	// A string read is one copy (kept in sinkStr: a copy that does not
	// escape may live on the stack and not count).
	p := NewRecords[ProcessInfo](procs).At(0)
	if allocs := testing.AllocsPerRun(100, func() { sinkStr = p.Exe() }); allocs != 1 {
		t.Errorf("Exe() allocated %v times, want 1", allocs)
	}
}

var sinkStr string
