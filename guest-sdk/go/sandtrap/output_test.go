// Native tests of the output encoder and the on-events glue (run by
// test.sh): output.bin reproduced byte for byte from answers.json through
// the public detection API, both by the encoder and by a batch run
// through the glue; a round trip of every value kind and an error,
// decoded by a reader as strict as the host's; no report for a batch that
// found nothing; and the repairs that keep the host from trapping.

package sandtrap

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// The `output` key of answers.json: records in order, fields in the
// format of batch.json's args.
type jsonOutput struct {
	Output struct {
		File    string           `json:"file"`
		Records []jsonOutputItem `json:"records"`
	} `json:"output"`
}

type jsonOutputItem struct {
	Index    uint32    `json:"index"`
	Kind     string    `json:"kind"`
	Severity uint8     `json:"severity"`
	Fields   []jsonArg `json:"fields"`
	Message  string    `json:"message"`
}

// outputVector is output.bin and its items, built with the public API:
// NewDetection, Field and WithSeverity.
func outputVector(t *testing.T) ([]byte, []found) {
	t.Helper()
	var a jsonOutput
	if err := json.Unmarshal(testdata(t, "answers.json"), &a); err != nil {
		t.Fatal(err)
	}
	if a.Output.File == "" || len(a.Output.Records) == 0 {
		t.Fatal("answers.json has no output vector")
	}
	var items []found
	for _, r := range a.Output.Records {
		switch r.Kind {
		case "detection":
			d := NewDetection()
			for _, f := range r.Fields {
				d = d.Field(f.Name, f.value(t))
			}
			if r.Severity > 0 {
				d = d.WithSeverity(Severity(r.Severity - 1))
			}
			items = append(items, found{index: r.Index, detection: d})
		case "error":
			items = append(items, found{index: r.Index, isError: true, message: r.Message})
		default:
			t.Fatalf("answers.json: unknown output kind %q", r.Kind)
		}
	}
	return testdata(t, a.Output.File), items
}

func TestOutputVector(t *testing.T) {
	want, items := outputVector(t)
	got := encodeOutput(nil, items, maxReport)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded output differs from output.bin\n got %x\nwant %x", got, want)
	}
	// A reused buffer, longer and dirty, makes the same bytes.
	dirty := bytes.Repeat([]byte{0xAA}, 2*len(want))
	if got := encodeOutput(dirty, items, maxReport); !bytes.Equal(got, want) {
		t.Fatal("encoding into a reused buffer differs from output.bin")
	}
	// Once the buffer has grown, encoding allocates nothing.
	buf := encodeOutput(nil, items, maxReport)
	if allocs := testing.AllocsPerRun(100, func() { buf = encodeOutput(buf, items, maxReport) }); allocs != 0 {
		t.Errorf("encoding into a grown buffer allocated %v times", allocs)
	}
	// The strict reader gives back what was encoded.
	recs, err := readOutput(want)
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, recs, items)
}

// scripted answers each event with what its name selects in a table:
// the glue's view of a detector, index by index.
type scripted struct {
	quiet
	out map[string]scriptedAnswer
}

type scriptedAnswer struct {
	dets []Detection
	err  error
}

func (s scripted) OnEvent(ev *Event) ([]Detection, error) {
	a := s.out[ev.Name()]
	return a.dets, a.err
}

// recorder stands in for host.report: it copies each call's buffer, as
// the host does (the glue reuses it for the next batch).
type recorder struct{ calls [][]byte }

func (r *recorder) report(b []byte) { r.calls = append(r.calls, append([]byte{}, b...)) }

// run sends events named e0, e1, … through the on-events glue.
func (s scripted) run(n int) *recorder {
	var events [][]byte
	for i := range n {
		events = append(events, event("e"+strconv.Itoa(i), nil, nil))
	}
	rec := &recorder{}
	handleBatch(s, true, batchOf(events...), rec.report)
	return rec
}

func TestOutputVectorThroughGlue(t *testing.T) {
	want, items := outputVector(t)
	s := scripted{out: map[string]scriptedAnswer{}}
	last := uint32(0)
	for _, it := range items {
		name := "e" + strconv.Itoa(int(it.index))
		a := s.out[name]
		if it.isError {
			a.err = errors.New(it.message)
		} else {
			a.dets = append(a.dets, it.detection)
		}
		s.out[name] = a
		last = max(last, it.index)
	}
	rec := s.run(int(last) + 1)
	if len(rec.calls) != 1 {
		t.Fatalf("%d report calls, want 1", len(rec.calls))
	}
	if !bytes.Equal(rec.calls[0], want) {
		t.Fatalf("reported output differs from output.bin\n got %x\nwant %x", rec.calls[0], want)
	}
}

func TestOutputRoundTrip(t *testing.T) {
	every := NewDetection().
		Str("str", "/tmp/x ✓").
		Str("empty_str", "").
		Int("neg", -42).
		Int("min", math.MinInt64).
		Uint("max", math.MaxUint64).
		Uint("zero", 0).
		Bool("yes", true).
		Bool("no", false).
		Bytes("raw", []byte{0, 1, 0xff}).
		Bytes("no_bytes", nil).
		List("argv", []string{"sh", "", "-c", "é"}).
		List("empty_list", nil).
		Str("", "an empty name is a name")
	s := scripted{out: map[string]scriptedAnswer{
		"e0": {dets: []Detection{every}},
		"e2": {err: errors.New("container store: not found")},
		"e3": {dets: []Detection{NewDetection().WithSeverity(SeverityLow), every.WithSeverity(SeverityCritical)}},
	}}
	rec := s.run(5)
	if len(rec.calls) != 1 {
		t.Fatalf("%d report calls, want 1", len(rec.calls))
	}
	recs, err := readOutput(rec.calls[0])
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, recs, []found{
		{index: 0, detection: every},
		{index: 2, isError: true, message: "container store: not found"},
		{index: 3, detection: NewDetection().WithSeverity(SeverityLow)},
		{index: 3, detection: every.WithSeverity(SeverityCritical)},
	})

	// A panic crosses as its event's error, like any other.
	rec = &recorder{}
	handleBatch(picky{}, true, batchOf(event("panic", nil, nil), event("one", nil, nil)), rec.report)
	recs, err = readOutput(rec.calls[0])
	if err != nil || len(recs) != 2 || !recs[0].isError || recs[0].index != 0 ||
		!strings.Contains(recs[0].message, "OnEvent panicked") || recs[1].isError || recs[1].index != 1 {
		t.Fatalf("panic and detection: %#v, %v", recs, err)
	}
}

func TestNothingFoundMakesNoReport(t *testing.T) {
	bin, _ := readVectors(t)
	for name, buf := range map[string][]byte{"vectors": bin, "empty batch": nil, "three events": batchOf(event("a", nil, nil), event("b", nil, nil), event("c", nil, nil))} {
		calls := 0
		handleBatch(quiet{}, true, buf, func([]byte) { calls++ })
		handleBatch(scripted{}, true, buf, func([]byte) { calls++ })
		if calls != 0 {
			t.Errorf("%s: %d report calls for a batch that found nothing", name, calls)
		}
	}
	// A detector that is not ready still says why, once per batch.
	rec := &recorder{}
	handleBatch(nil, false, batchOf(event("a", nil, nil), event("b", nil, nil)), rec.report)
	if len(rec.calls) != 1 {
		t.Fatalf("%d report calls, want 1", len(rec.calls))
	}
	recs, err := readOutput(rec.calls[0])
	if err != nil || len(recs) != 2 || !recs[1].isError || recs[1].index != 1 || recs[1].message != errNotRegistered.Error() {
		t.Fatalf("not registered: %#v, %v", recs, err)
	}
}

// TestOutputRepairs: what a detector can get wrong in Go is repaired
// rather than sent to a host that would trap on it.
func TestOutputRepairs(t *testing.T) {
	bad := "ab\xffc"
	tooSevere := Severity(9)
	d := Detection{
		Fields: []Field{
			{Name: "name\xc3", Value: Str(bad)},
			{Name: "list", Value: StrList([]string{bad})},
			{Name: "zero", Value: Value{}},
			{Name: "bogus", Value: Value{Kind: 77, Str: "ignored"}},
		},
		Severity: &tooSevere,
	}
	out := encodeOutput(nil, []found{{index: 0, detection: d}, {index: 1, isError: true, message: bad}}, maxReport)
	recs, err := readOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	fixed := strings.ToValidUTF8(bad, "\uFFFD")
	f := recs[0].detection.Fields
	if len(f) != 4 || f[0].Name != "name\uFFFD" || f[0].Value.Str != fixed || f[1].Value.StrList[0] != fixed ||
		f[2].Value.Kind != KindStr || f[2].Value.Str != "" || f[3].Value.Kind != KindStr || f[3].Value.Str != "" {
		t.Errorf("repaired fields = %#v", f)
	}
	if s := recs[0].detection.Severity; s == nil || *s != SeverityCritical {
		t.Errorf("severity 9 was not clamped to critical")
	}
	if recs[1].message != fixed {
		t.Errorf("message = %q", recs[1].message)
	}
}

// TestOutputOverLimit: an output the host would refuse for its size
// keeps what fits and replaces the rest with one error per event.
func TestOutputOverLimit(t *testing.T) {
	big := NewDetection().Bytes("blob", make([]byte, 3<<20))
	s := scripted{out: map[string]scriptedAnswer{
		"e0": {dets: []Detection{NewDetection().Str("a", "small"), big}},
		"e1": {dets: []Detection{big, NewDetection().Str("b", "small")}},
		"e2": {err: errors.New("late error")},
	}}
	rec := s.run(3)
	if len(rec.calls) != 1 || len(rec.calls[0]) > maxReport {
		t.Fatalf("report calls %d, first %d bytes", len(rec.calls), len(rec.calls[0]))
	}
	recs, err := readOutput(rec.calls[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		if r.isError {
			got = append(got, fmt.Sprintf("%d:error:%t", r.index, strings.Contains(r.message, "dropped")))
		} else {
			got = append(got, fmt.Sprintf("%d:detection:%d", r.index, len(r.detection.Fields)))
		}
	}
	want := "[0:detection:1 0:detection:1 1:error:true 2:error:true]"
	if fmt.Sprint(got) != want {
		t.Errorf("records = %v, want %s", got, want)
	}

	// A limit below every record still frames a valid (shorter) list.
	items := []found{{index: 0, detection: big}, {index: 1, isError: true, message: "x"}}
	for _, limit := range []int{4, 30, 200, 1000} {
		out := encodeOutput(nil, items, limit)
		if len(out) > limit && len(out) != 4 {
			t.Errorf("limit %d: %d bytes", limit, len(out))
		}
		if _, err := readOutput(out); err != nil {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
}

// ---- a reader as strict as the host's (host/runtime/src/convert.rs) ----

// readOutput decodes an output record list and fails where the host
// would trap: counts that do not fit, unknown kinds or severities, fields
// out of bounds or not UTF-8.
func readOutput(buf []byte) ([]found, error) {
	count, ok := u32At(buf, 0)
	if !ok || int(count) != frameCount(buf) {
		return nil, fmt.Errorf("a list of %d records does not fit in %d bytes", count, len(buf))
	}
	var out []found
	for j := range int(count) {
		start, _ := u32At(buf, 4+4*j)
		end := uint32(len(buf))
		if j+1 < int(count) {
			end, _ = u32At(buf, 4+4*(j+1))
		}
		if start > end || int(end) > len(buf) || end-start < outLen {
			return nil, fmt.Errorf("record %d: bounds %d..%d", j, start, end)
		}
		b := buf[start:end]
		index, _ := u32At(b, atOutIndex)
		switch b[atOutKind] {
		case outError:
			msg, ok := strBytesAt(b, atOutMessage)
			if !ok {
				return nil, fmt.Errorf("record %d: message out of bounds or not UTF-8", j)
			}
			out = append(out, found{index: index, isError: true, message: string(msg)})
		case outDetection:
			n, _ := u32At(b, atOutFieldCount)
			if int(n) > (len(b)-outLen)/argLen {
				return nil, fmt.Errorf("record %d: %d fields do not fit", j, n)
			}
			d := Detection{}
			switch sev := b[atOutSeverity]; {
			case sev > 5:
				return nil, fmt.Errorf("record %d: severity %d", j, sev)
			case sev > 0:
				d = d.WithSeverity(Severity(sev - 1))
			}
			for i := range int(n) {
				f, ok := argAt(b, outLen+i*argLen)
				if !ok {
					return nil, fmt.Errorf("record %d: field %d is out of bounds, not UTF-8 or of an unknown kind", j, i)
				}
				d.Fields = append(d.Fields, f)
			}
			out = append(out, found{index: index, detection: d})
		default:
			return nil, fmt.Errorf("record %d: unknown kind %d", j, b[atOutKind])
		}
	}
	return out, nil
}

// checkOutput compares decoded records with what was encoded, field by
// field with their kinds.
func checkOutput(t *testing.T, got, want []found) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.index != w.index || g.isError != w.isError || g.message != w.message {
			t.Errorf("record %d = (%d, error %t, %q), want (%d, error %t, %q)", i, g.index, g.isError, g.message, w.index, w.isError, w.message)
			continue
		}
		if w.isError {
			continue
		}
		if severityCode(g.detection.Severity) != severityCode(w.detection.Severity) {
			t.Errorf("record %d: severity %d, want %d", i, severityCode(g.detection.Severity), severityCode(w.detection.Severity))
		}
		gf, wf := g.detection.Fields, w.detection.Fields
		if len(gf) != len(wf) {
			t.Errorf("record %d: %d fields, want %d", i, len(gf), len(wf))
			continue
		}
		for k := range wf {
			if gf[k].Name != wf[k].Name || !sameValue(gf[k].Value, wf[k].Value) {
				t.Errorf("record %d field %d: %q = %#v, want %q = %#v", i, k, gf[k].Name, gf[k].Value, wf[k].Name, wf[k].Value)
			}
		}
	}
}

// The strict reader must itself refuse what the host refuses, or the
// tests above would prove nothing.
func TestStrictReaderRefuses(t *testing.T) {
	_, items := outputVector(t)
	good := encodeOutput(nil, items, maxReport)
	corrupt := func(name string, f func(b []byte)) {
		b := append([]byte{}, good...)
		f(b)
		if _, err := readOutput(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	first, _ := u32At(good, 4)
	second, _ := u32At(good, 8)
	corrupt("count", func(b []byte) { putU32(b, 99) })
	corrupt("kind", func(b []byte) { b[first+atOutKind] = 2 })
	corrupt("severity", func(b []byte) { b[first+atOutSeverity] = 6 })
	corrupt("field kind", func(b []byte) { b[first+outLen+8] = 6 })
	corrupt("field count", func(b []byte) { putU32(b[first+atOutFieldCount:], 1000) })
	corrupt("message bounds", func(b []byte) { putU32(b[second+atOutMessage+4:], 1000) })
	corrupt("message UTF-8", func(b []byte) {
		off, _ := u32At(b, int(second)+atOutMessage)
		b[int(second)+int(off)] = 0xff
	})
}
