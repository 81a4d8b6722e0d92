// The exported functions of interface `guest`, in their canonical-ABI
// core signatures (wasm only); the Detector they call and the batch loop
// are in detector.go. Each export runs with the collector on and returns
// with it paused (gcPause in abi.go says why).

//go:build wasip1

package sandtrap

import (
	"runtime"
	"unsafe"
)

//go:wasmexport sandtrap:detector/guest@0.4.0#describe
func exportDescribe() uint32 {
	gcResume()
	defer gcPause()
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

//go:wasmexport sandtrap:detector/guest@0.4.0#init
func exportInit(ptr, n uint32) uint32 {
	gcResume()
	defer gcPause()
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

// on-events returns nothing (contract 0.4): what the batch found goes to
// the host through one host.report call, made by handleBatch, so there is
// no result to lower and no post-return function.
//
//go:wasmexport sandtrap:detector/guest@0.4.0#on-events
func exportOnEvents(ptr, n uint32) {
	gcResume()
	defer gcPause()
	// The host placed the list<u8> in a buffer it got from cabi_realloc;
	// the events are read in that buffer, which they keep alive, so the
	// arena can forget it now.
	buf := bytesInPlace(ptr, n)
	release(0)

	d, _ := detector()
	handleBatch(d, initialized, buf, report)
}

// report hands the output record list to the host, which copies it
// before returning. The slice is a Go pointer held across the call, so
// the buffer stays alive (and, on wasm, in place) while the host reads it.
func report(out []byte) {
	if len(out) == 0 {
		return
	}
	importReport(addr(unsafe.Pointer(&out[0])), uint32(len(out)))
	runtime.KeepAlive(out)
}

//go:wasmexport sandtrap:detector/guest@0.4.0#close
func exportClose() {
	gcResume()
	defer gcPause()
	release(0)
	if d, err := detector(); err == nil && initialized {
		_ = guarded("Close", func() error { d.Close(); return nil })
	}
	initialized = false
}

// Post-return functions: the host has copied the results out, so the
// memory they occupied can go. on-events and close return nothing, so
// they have none.

//go:wasmexport cabi_post_sandtrap:detector/guest@0.4.0#describe
func postDescribe(uint32) { release(0) }

//go:wasmexport cabi_post_sandtrap:detector/guest@0.4.0#init
func postInit(uint32) { release(0) }
