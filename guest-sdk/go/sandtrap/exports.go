// The exported functions of interface `guest`, in their canonical-ABI
// core signatures (wasm only); the Detector they call and the batch loop
// are in detector.go. Each export runs with the collector on and returns
// with it paused (gcPause in abi.go says why).

//go:build wasip1

package sandtrap

//go:wasmexport sandtrap:detector/guest@0.3.0#describe
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

//go:wasmexport sandtrap:detector/guest@0.3.0#init
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

//go:wasmexport sandtrap:detector/guest@0.3.0#on-events
func exportOnEvents(ptr, n uint32) uint32 {
	gcResume()
	defer gcPause()
	// The host placed the list<u8> in a buffer it got from cabi_realloc;
	// the events are read in that buffer, which they keep alive, so the
	// arena can forget it now.
	buf := bytesInPlace(ptr, n)
	release(0)

	d, _ := detector()
	dets, errs := runBatch(d, initialized, buf)

	// batch-output: detections@0, errors@8; size 16.
	// indexed-detection: index@0, detection@4; size 16.
	// indexed-error: index@0, message@4; size 12.
	ret := alloc(16, 4)
	storeList(ret, dets, 16, 4, func(a uint32, d *indexedDetection) {
		st32(a, d.index)
		storeDetection(a+4, &d.detection)
	})
	storeList(ret+8, errs, 12, 4, func(a uint32, e *indexedError) {
		st32(a, e.index)
		storeString(a+4, e.message)
	})
	return ret
}

//go:wasmexport sandtrap:detector/guest@0.3.0#close
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
// memory they occupied can go.

//go:wasmexport cabi_post_sandtrap:detector/guest@0.3.0#describe
func postDescribe(uint32) { release(0) }

//go:wasmexport cabi_post_sandtrap:detector/guest@0.3.0#init
func postInit(uint32) { release(0) }

//go:wasmexport cabi_post_sandtrap:detector/guest@0.3.0#on-events
func postOnEvents(uint32) { release(0) }
