// The Detector interface, its registration, the batch loop that calls it
// and the glue that reports what the batch found: plain Go, no wasm
// directives, so the loop (one failing or panicking event must not lose
// the others) and the report (one call, none for an empty output) are
// tested natively with the decoder. exports.go is the canonical-ABI side.

package sandtrap

import (
	"errors"
	"runtime"
	"strings"
)

// Detector is implemented by every detector. The host calls Describe once
// per load (in a separate instance, before Init, and for `sandtrap
// inspect`), Init once per instance, OnEvent for each event one of the
// selectors matched (the host sends them in batches; the SDK calls
// OnEvent once per event of a batch, in order), and Close before
// dropping the instance.
type Detector interface {
	// Describe returns identity, selectors, stores and the finding; it
	// must not depend on configuration.
	Describe() Description
	// Init configures the detector. An error refuses the load.
	Init(cfg Config) error
	// OnEvent handles one event. An error is counted and logged by the
	// host; it is not a crash, and the other events of the batch are
	// handled as usual. ev is valid during the call; keep the values its
	// accessors return, not ev.
	OnEvent(ev *Event) ([]Detection, error)
	// Close is called once before the instance is dropped.
	Close()
}

var (
	registered  Detector
	initialized bool
)

// Register makes d the component's detector. Call it from an init
// function of package main: a c-shared Go module never runs main.
func Register(d Detector) {
	if registered != nil {
		panic("sandtrap.Register called twice")
	}
	registered = d
}

var errNotRegistered = errors.New("no detector registered: call sandtrap.Register from an init function")

func detector() (Detector, error) {
	if registered == nil {
		return nil, errNotRegistered
	}
	return registered, nil
}

// guarded runs f and turns a panic into an error: one bad event must not
// cost the instance (and the state of every other event) a fault. The
// error names the panic and where it happened, on one line, since the
// host logs it as one.
func guarded(what string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New(what + " panicked: " + panicText(r) + panicSite(stack()))
		}
	}()
	return f()
}

// panicText renders a recovered value without fmt, which would link the
// reflection-based printer (and its size) into every detector.
func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	case interface{ String() string }:
		return v.String()
	}
	return "non-error panic value"
}

// stack is the running goroutine's trace (runtime.Stack rather than
// runtime/debug, which would link fmt).
func stack() []byte {
	buf := make([]byte, 8192)
	return buf[:runtime.Stack(buf, false)]
}

// panicSite finds the frame that panicked in a stack trace: the
// function and file:line that follow the `panic(` frame and its own
// location line.
func panicSite(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") && i+3 < len(lines) {
			fn := lines[i+2]
			if j := strings.LastIndexByte(fn, '('); j > 0 {
				fn = fn[:j]
			}
			file := strings.TrimSpace(lines[i+3])
			if j := strings.LastIndex(file, " +0x"); j > 0 {
				file = file[:j]
			}
			return " (in " + fn + " at " + file + ")"
		}
	}
	return ""
}

func onEvent(d Detector, ev *Event) (out []Detection, err error) {
	err = guarded("OnEvent", func() error {
		out, err = d.OnEvent(ev)
		return err
	})
	return out, err
}

// runBatch calls d.OnEvent for every event of the encoded batch, in
// order, and returns what they found in that order. An error or a panic
// is recorded against its event (the detections it returned with the
// error are dropped) and the loop goes on: one bad event must not cost
// the detections of the others. d nil (nothing registered) or not
// initialized yields one error per event, so the host sees why nothing
// was detected.
func runBatch(d Detector, ready bool, buf []byte) []found {
	batch := NewBatch(buf)
	n := batch.Len()
	var fail error
	switch {
	case d == nil:
		fail = errNotRegistered
	case !ready:
		fail = errors.New("detector called before init")
	}
	var out []found
	if fail != nil {
		for i := range n {
			out = append(out, found{index: uint32(i), isError: true, message: fail.Error()})
		}
		return out
	}
	// One allocation for the whole batch; every event still has its own
	// address, in case a detector compares or keeps the pointers.
	events := make([]Event, n)
	for i := range events {
		b := batch.eventBytes(i)
		events[i] = Event{b: b, Process: ProcessContext{b: b}}
		dets, err := onEvent(d, &events[i])
		if err != nil {
			out = append(out, found{index: uint32(i), isError: true, message: err.Error()})
			continue
		}
		for _, det := range dets {
			out = append(out, found{index: uint32(i), detection: det})
		}
	}
	return out
}

// outputBuf is the report buffer, kept between batches so that reporting
// allocates nothing once it has grown; the host copies it during the
// report call, so reusing it afterwards is safe.
var outputBuf []byte

// maxKeptOutput bounds what outputBuf keeps: one exceptional batch must
// not hold megabytes of the instance's memory (which counts against its
// limit) for the rest of its life.
const maxKeptOutput = 1 << 20

// handleBatch is the on-events glue without the ABI: it runs the batch
// and hands everything it found to report as one output record list, in
// one call, and makes no call when nothing was found (the host's contract
// for report). exports.go passes the host import; the tests a recorder.
func handleBatch(d Detector, ready bool, buf []byte, report func([]byte)) {
	items := runBatch(d, ready, buf)
	if len(items) == 0 {
		return
	}
	out := encodeOutput(outputBuf, items, maxReport)
	report(out)
	if cap(out) > maxKeptOutput {
		out = nil
	}
	outputBuf = out[:0]
}
