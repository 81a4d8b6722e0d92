// The canonical ABI of the component model, by hand: linear-memory access,
// the allocator the host calls (`cabi_realloc`), and lifting/lowering of
// the contract's types at the byte offsets the ABI prescribes. Events,
// store answers and the output are not lifted or lowered here: they cross
// as one list<u8> each, which wire.go and records.go read in place and
// output.go writes.
//
// wasm only (the directives and the integer-to-pointer conversions mean
// nothing natively); the decoder and the detector loop build natively too.
//
// Layout rules used throughout (canonical ABI, 32-bit memory):
//   - string and list<T>: 8 bytes, align 4: (ptr u32, len u32); len counts
//     bytes for strings, elements for lists;
//   - record: fields in order, each at the next multiple of its alignment;
//     size rounded up to the record's alignment (the largest field's);
//   - variant/option/result/enum: a u8 discriminant (fewer than 256 cases),
//     then the payload at the next multiple of the largest case alignment.
// Every offset below was checked against `wasm-tools component embed
// --dummy` and against the values the host sends (testdata/echo).

//go:build wasip1

package sandtrap

import (
	"runtime/debug"
	"unsafe"
)

// mem is the address of linear-memory byte a. Go's garbage collector does
// not move objects on wasm, so an address taken from a pinned Go
// allocation stays valid.
func mem(a uint32) unsafe.Pointer { return unsafe.Pointer(uintptr(a)) }

func addr(p unsafe.Pointer) uint32 { return uint32(uintptr(p)) }

func ld8(a uint32) uint8   { return *(*uint8)(mem(a)) }
func ld32(a uint32) uint32 { return *(*uint32)(mem(a)) }
func ld64(a uint32) uint64 { return *(*uint64)(mem(a)) }

func st8(a uint32, v uint8)   { *(*uint8)(mem(a)) = v }
func st32(a uint32, v uint32) { *(*uint32)(mem(a)) = v }
func st64(a uint32, v uint64) { *(*uint64)(mem(a)) = v }

// arena keeps alive every buffer whose address was given to the host or
// that the host filled through cabi_realloc. The garbage collector cannot
// see addresses stored as integers in linear memory, so these buffers must
// stay referenced from Go until the ABI is done with them; they are
// dropped with release, stack-wise (see mark).
var arena [][]uint64

// alloc returns zeroed memory of size bytes, aligned to 8 (the largest
// alignment in the canonical ABI), pinned in the arena. A zero-size
// request gets a non-null, aligned address that is never dereferenced.
func alloc(size, align uint32) uint32 {
	if size == 0 {
		if align == 0 {
			return 1
		}
		return align
	}
	buf := make([]uint64, (uint64(size)+7)/8)
	arena = append(arena, buf)
	return addr(unsafe.Pointer(&buf[0]))
}

// mark and release bracket a piece of ABI work: everything allocated
// after mark is unpinned by release once the values were copied into Go
// memory (lifting) or read by the host (post-return).
func mark() int { return len(arena) }

func release(m int) {
	if m < 0 || m > len(arena) {
		m = 0
	}
	clear(arena[m:])
	arena = arena[:m]
}

// The collector is paused whenever the host may call into the module
// without an export running: before an export (the host allocates its
// arguments through cabi_realloc), during a store call (it allocates the
// answer the same way), and in post-return. The component model forbids a
// component to call an import from those calls (wasmtime traps "cannot
// leave component instance"), and a Go allocation can start a collection
// or scavenge memory, both of which read the clock through a WASI import
// (a 1 MiB batch did: testdata/echo/scenarios/large-event.yaml). With the
// collector off, an allocation only takes free memory or grows linear
// memory (an instruction, not an import). Exports resume it on entry, so
// detector code runs with the collector as usual.

// gcPercent is the setting exports resume with: Go's default, or whatever
// a detector set with debug.SetGCPercent while running.
var gcPercent = 100

// gcPause turns the collector off. SetGCPercent(-1) also waits for a
// cycle in progress to finish its marking, so no allocation afterwards
// has to assist it.
func gcPause() { gcPercent = debug.SetGCPercent(-1) }

func gcResume() { debug.SetGCPercent(gcPercent) }

// The module starts paused: the first call after start-up may be the
// host's cabi_realloc for describe's or init's arguments.
func init() { gcPause() }

// cabiRealloc is the allocator the host calls to place strings and lists
// in guest memory: the arguments of an export, and the results of an
// import.
//
//go:wasmexport cabi_realloc
func cabiRealloc(old, oldSize, align, newSize uint32) uint32 {
	p := alloc(newSize, align)
	if old != 0 && oldSize != 0 && newSize != 0 {
		copy(unsafe.Slice((*byte)(mem(p)), min(oldSize, newSize)), unsafe.Slice((*byte)(mem(old)), min(oldSize, newSize)))
	}
	return p
}

// ---- lifting: guest memory → Go values (always copies) ----

// liftString reads the (ptr, len) pair at a.
func liftString(a uint32) string {
	n := ld32(a + 4)
	if n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(mem(ld32(a))), n))
}

// liftStrings reads the list<string> pair at a.
func liftStrings(a uint32) []string {
	base, n := ld32(a), ld32(a+4)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range n {
		out[i] = liftString(base + 8*i)
	}
	return out
}

// bytesInPlace is the list<u8> (ptr, n) as a slice of the buffer the
// host filled through cabi_realloc, not a copy: event batches and store
// answers are read in place (wire.go, records.go). The slice is a Go
// pointer into that allocation, so the collector keeps it alive (and, on
// wasm, in place) for as long as an event or a view refers to it, and the
// arena may forget it. A zero-length list has no buffer: its address is
// never dereferenced.
func bytesInPlace(ptr, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(mem(ptr)), n)
}

// liftBytesInPlace is bytesInPlace for the list pair at a.
func liftBytesInPlace(a uint32) []byte { return bytesInPlace(ld32(a), ld32(a+4)) }

// liftList reads the list pair at a, elements of size bytes each.
func liftList[T any](a, size uint32, lift func(uint32) T) []T {
	base, n := ld32(a), ld32(a+4)
	if n == 0 {
		return nil
	}
	out := make([]T, n)
	for i := range n {
		out[i] = lift(base + size*i)
	}
	return out
}

// ---- lowering: Go values → guest memory the host reads ----

// storeString copies s into pinned memory and writes its (ptr, len) at a.
// The host traps on a string that is not UTF-8, and Go strings may hold
// any bytes (a field cut mid-character, bytes converted with string()):
// invalid sequences are replaced rather than costing the instance.
func storeString(a uint32, s string) {
	s = validUTF8(s)
	p := alloc(uint32(len(s)), 1)
	if len(s) > 0 {
		copy(unsafe.Slice((*byte)(mem(p)), len(s)), s)
	}
	st32(a, p)
	st32(a+4, uint32(len(s)))
}

// storeList writes the list pair at a: n elements of size bytes, aligned
// to align, each written by store.
func storeList[T any](a uint32, items []T, size, align uint32, store func(uint32, *T)) {
	p := alloc(uint32(len(items))*size, align)
	for i := range items {
		store(p+uint32(i)*size, &items[i])
	}
	st32(a, p)
	st32(a+4, uint32(len(items)))
}

func storeStrings(a uint32, items []string) {
	storeList(a, items, 8, 4, func(e uint32, s *string) { storeString(e, *s) })
}

// clampSeverity keeps an out-of-range Severity (a conversion from an
// integer) from becoming an invalid enum discriminant, which the host
// would answer with a trap.
func clampSeverity(s Severity) Severity {
	return min(s, SeverityCritical)
}

// field-filter: field@0, op@8, value@12; size 20, align 4.
func storeFieldFilter(a uint32, f *FieldFilter) {
	storeString(a, f.Field)
	st8(a+8, uint8(f.Op))
	storeString(a+12, f.Value)
}

// selector: event@0, filters@8; size 16, align 4.
func storeSelector(a uint32, s *Selector) {
	storeString(a, s.Event)
	storeList(a+8, s.Filters, 20, 4, storeFieldFilter)
}

// finding-definition: name@0, description@8, severity@16,
// mitre-tactic@20, mitre-technique@28, fields@36; size 44, align 4.
func storeFinding(a uint32, f *FindingDefinition) {
	storeString(a, f.Name)
	storeString(a+8, f.Description)
	st8(a+16, uint8(clampSeverity(f.Severity)))
	storeString(a+20, f.MitreTactic)
	storeString(a+28, f.MitreTechnique)
	storeStrings(a+36, f.Fields)
}

// description: id@0, name@8, version@16, description@24, selectors@32,
// required-stores@40, optional-stores@48, finding@56; size 100, align 4.
const descriptionSize = 100

func storeDescription(a uint32, d *Description) {
	storeString(a, d.ID)
	storeString(a+8, d.Name)
	storeString(a+16, d.Version)
	storeString(a+24, d.Description)
	storeList(a+32, d.Selectors, 16, 4, storeSelector)
	storeStrings(a+40, d.RequiredStores)
	storeStrings(a+48, d.OptionalStores)
	storeFinding(a+56, &d.Finding)
}
