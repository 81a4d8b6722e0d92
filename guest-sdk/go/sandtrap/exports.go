// The exported functions of interface `guest` and the registration of the
// one Detector a component carries.

package sandtrap

import (
	"errors"
	"runtime"
	"strings"
)

// Detector is implemented by every detector. The host calls Describe once
// per load (in a separate instance, before Init, and for `sandtrap
// inspect`), Init once per instance, OnEvent for each event one of the
// selectors matched, and Close before dropping the instance.
type Detector interface {
	// Describe returns identity, selectors, stores and the finding; it
	// must not depend on configuration.
	Describe() Description
	// Init configures the detector. An error refuses the load.
	Init(cfg Config) error
	// OnEvent handles one event. An error is counted and logged by the
	// host; it is not a crash.
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

func detector() (Detector, error) {
	if registered == nil {
		return nil, errors.New("no detector registered: call sandtrap.Register from an init function")
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

//go:wasmexport sandtrap:detector/guest@0.1.0#describe
func exportDescribe() uint32 {
	release(0)
	var desc Description
	err := guarded("Describe", func() error {
		d, err := detector()
		if err == nil {
			desc = d.Describe()
		}
		return err
	})
	if err != nil {
		// describe has no error result: say why in the log, and let the
		// host refuse the empty description (its id is empty).
		Log(LevelError, err.Error())
		desc = Description{}
	}
	ret := alloc(descriptionSize, 4)
	storeDescription(ret, &desc)
	return ret
}

// storeResultErr writes result<_, string> or result<list<…>, string> in
// its error case: discriminant 1, the message at 4.
func storeResultErr(ret uint32, err error) {
	st8(ret, 1)
	storeString(ret+4, err.Error())
}

//go:wasmexport sandtrap:detector/guest@0.1.0#init
func exportInit(ptr, n uint32) uint32 {
	// list<tuple<string, string>>: 16-byte elements, key@0, value@8.
	entries := make([][2]string, n)
	for i := range n {
		e := ptr + 16*i
		entries[i] = [2]string{liftString(e), liftString(e + 8)}
	}
	release(0)

	ret := alloc(12, 4)
	err := guarded("Init", func() error {
		d, err := detector()
		if err != nil {
			return err
		}
		return d.Init(Config{entries: entries})
	})
	if err != nil {
		storeResultErr(ret, err)
		return ret
	}
	initialized = true
	return ret
}

func onEvent(ev *Event) (out []Detection, err error) {
	err = guarded("OnEvent", func() error {
		d, err := detector()
		if err != nil {
			return err
		}
		if !initialized {
			return errors.New("detector called before init")
		}
		out, err = d.OnEvent(ev)
		return err
	})
	return out, err
}

//go:wasmexport sandtrap:detector/guest@0.1.0#on-event
func exportOnEvent(p uint32) uint32 {
	// 21 flat parameters exceed the limit of 16: the host passes the event
	// in memory it allocated through cabi_realloc.
	ev := liftEvent(p)
	release(0)

	dets, err := onEvent(&ev)
	// result<list<detection>, string>: discriminant@0, payload@4; size 12.
	ret := alloc(12, 4)
	if err != nil {
		storeResultErr(ret, err)
		return ret
	}
	storeList(ret+4, dets, detectionSize, 4, storeDetection)
	return ret
}

//go:wasmexport sandtrap:detector/guest@0.1.0#on-batch
func exportOnBatch(ptr, n uint32) uint32 {
	events := make([]Event, n)
	for i := range n {
		events[i] = liftEvent(ptr + eventSize*i)
	}
	release(0)

	type indexed struct {
		index uint32
		det   Detection
	}
	type indexedErr struct {
		index uint32
		msg   string
	}
	var dets []indexed
	var errs []indexedErr
	for i := range events {
		out, err := onEvent(&events[i])
		if err != nil {
			errs = append(errs, indexedErr{uint32(i), err.Error()})
			continue
		}
		for _, d := range out {
			dets = append(dets, indexed{uint32(i), d})
		}
	}
	// batch-output: detections@0, errors@8; size 16.
	// indexed-detection: index@0, detection@4; size 16.
	// indexed-error: index@0, message@4; size 12.
	ret := alloc(16, 4)
	storeList(ret, dets, 16, 4, func(a uint32, d *indexed) {
		st32(a, d.index)
		storeDetection(a+4, &d.det)
	})
	storeList(ret+8, errs, 12, 4, func(a uint32, e *indexedErr) {
		st32(a, e.index)
		storeString(a+4, e.msg)
	})
	return ret
}

//go:wasmexport sandtrap:detector/guest@0.1.0#close
func exportClose() {
	release(0)
	if d, err := detector(); err == nil && initialized {
		_ = guarded("Close", func() error { d.Close(); return nil })
	}
	initialized = false
}

// Post-return functions: the host has copied the results out, so the
// memory they occupied can go.

//go:wasmexport cabi_post_sandtrap:detector/guest@0.1.0#describe
func postDescribe(uint32) { release(0) }

//go:wasmexport cabi_post_sandtrap:detector/guest@0.1.0#init
func postInit(uint32) { release(0) }

//go:wasmexport cabi_post_sandtrap:detector/guest@0.1.0#on-event
func postOnEvent(uint32) { release(0) }

//go:wasmexport cabi_post_sandtrap:detector/guest@0.1.0#on-batch
func postOnBatch(uint32) { release(0) }
