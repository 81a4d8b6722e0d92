// The flat encoding of event batches (docs/wire-encoding.md), read in
// place with every offset checked, and the bounds-checked readers that
// records.go shares for store answers. This file is plain Go (no wasm
// directives) so the decoder is tested natively (test.sh).
//
// The buffer crosses a trust boundary and tools build it by hand: a
// field whose bounds do not fit its event, a string that is not UTF-8 or
// an unknown argument kind reads as absent, never as a panic. The rules
// mirror the reference reader, guest-sdk/wire/src/read.rs.

package sandtrap

import "unicode/utf8"

// Offsets of the fixed part of an event, from its first byte.
const (
	atSeq            = 0
	atTimestamp      = 8
	atEntityID       = 16
	atParentEntityID = 24
	atStartTicks     = 32
	atCgroupID       = 40
	atPID            = 48
	atTID            = 52
	atPPID           = 56
	atUID            = 60
	atGID            = 64
	atName           = 68
	atComm           = 76
	atExe            = 84
	atContainerID    = 92
	atArgCount       = 100

	// headerLen is the fixed part; the argument table follows it.
	headerLen = 104
	// argLen is one argument entry: name str, kind u8, 7 zero bytes,
	// 8-byte payload.
	argLen = 24
)

// Argument kinds on the wire (events and output fields alike). ValueKind
// uses the same numbers, which keeps the conversion a cast both ways.
const (
	wireStr     = 0
	wireInt     = 1
	wireUint    = 2
	wireBool    = 3
	wireBytes   = 4
	wireStrList = 5
)

// Integers are little-endian and unaligned: read byte-wise. Offsets are
// ints, 64-bit on every Go port this SDK builds for, so the sum of two
// u32 fields cannot overflow.

func u32At(b []byte, at int) (uint32, bool) {
	if at < 0 || at > len(b)-4 {
		return 0, false
	}
	return uint32(b[at]) | uint32(b[at+1])<<8 | uint32(b[at+2])<<16 | uint32(b[at+3])<<24, true
}

func u64At(b []byte, at int) (uint64, bool) {
	lo, ok1 := u32At(b, at)
	hi, ok2 := u32At(b, at+4)
	if !ok1 || !ok2 {
		return 0, false
	}
	return uint64(lo) | uint64(hi)<<32, true
}

// bytesAt is the slice an (offset, length) pair at `at` points to, both
// relative to b. The slice aliases b; callers copy before handing it out.
func bytesAt(b []byte, at int) ([]byte, bool) {
	off, ok1 := u32At(b, at)
	n, ok2 := u32At(b, at+4)
	end := int(off) + int(n)
	if !ok1 || !ok2 || end > len(b) {
		return nil, false
	}
	return b[off:end:end], true
}

// strBytesAt is bytesAt for a str: the bytes must be UTF-8. No copy is
// made, so a string the detector compares or skips costs nothing.
func strBytesAt(b []byte, at int) ([]byte, bool) {
	s, ok := bytesAt(b, at)
	if !ok || !utf8.Valid(s) {
		return nil, false
	}
	return s, true
}

// strAt copies the str at `at` into a Go string, "" when malformed. The
// copy is what lets a detector keep the string after OnEvent returns
// without holding on to the whole batch buffer.
func strAt(b []byte, at int) string {
	s, _ := strBytesAt(b, at)
	return string(s)
}

// frameCount is the count of a framed buffer (an event batch or a store
// answer), cut to the offset table that fits in buf: a corrupt count
// must not send a reader past the table.
func frameCount(buf []byte) int {
	n, _ := u32At(buf, 0)
	fits := 0
	if len(buf) > 4 {
		fits = (len(buf) - 4) / 4
	}
	return int(min(uint64(n), uint64(fits)))
}

// frame is item i's span in a framed buffer of count items: from its
// start to the next item's start (the end of the buffer for the last
// one). Bounds that are out of order or outside the buffer make an empty
// item, whose fields all read as absent.
func frame(buf []byte, count, i int) []byte {
	if i < 0 || i >= count {
		return nil
	}
	start, _ := u32At(buf, 4+4*i)
	end := uint32(len(buf))
	if i+1 < count {
		end, _ = u32At(buf, 4+4*(i+1))
	}
	if start > end || int(end) > len(buf) {
		return nil
	}
	return buf[start:end:end]
}

// Batch is a batch of encoded events, as on-events receives it. The
// SDK decodes batches itself; the type is public so a detector's native
// unit tests can read buffers made by the encoder (guest-sdk/wire).
type Batch struct {
	buf   []byte
	count int
}

// NewBatch is a view of buf; nothing is decoded or copied. A count larger
// than the offset table that fits in buf is cut to what fits.
func NewBatch(buf []byte) Batch {
	return Batch{buf: buf, count: frameCount(buf)}
}

// Len is the number of events.
func (b Batch) Len() int { return b.count }

// eventBytes is event i's span; an event with malformed bounds is empty.
func (b Batch) eventBytes(i int) []byte { return frame(b.buf, b.count, i) }

// Event is event i, an empty event when i is out of range.
func (b Batch) Event(i int) *Event {
	return NewEvent(b.eventBytes(i))
}

// argCount is the number of entries of the argument table that fit in the
// event, whatever the announced count says.
func argCount(b []byte) int {
	n, _ := u32At(b, atArgCount)
	fits := 0
	if len(b) > headerLen {
		fits = (len(b) - headerLen) / argLen
	}
	return int(min(uint64(n), uint64(fits)))
}

// findArg is the entry offset of the first argument named name. Only
// names are compared on the way (the comparison of a []byte converted in
// place does not allocate): no other argument is decoded.
func findArg(b []byte, name string) (int, bool) {
	for i, n := 0, argCount(b); i < n; i++ {
		entry := headerLen + i*argLen
		if got, ok := bytesAt(b, entry); ok && string(got) == name {
			return entry, true
		}
	}
	return 0, false
}

// argAt decodes (and copies) the entry at `entry`: its name must be UTF-8
// and its value well-formed, or the argument is absent (read.rs's rule,
// so every SDK skips the same arguments).
func argAt(b []byte, entry int) (Field, bool) {
	name, ok := strBytesAt(b, entry)
	if !ok {
		return Field{}, false
	}
	v, ok := valueAt(b, entry)
	if !ok {
		return Field{}, false
	}
	return Field{Name: string(name), Value: v}, true
}

// kindAt is the kind byte of the entry at `entry`.
func kindAt(b []byte, entry int) (uint8, bool) {
	if entry+8 >= len(b) {
		return 0, false
	}
	return b[entry+8], true
}

// valueAt decodes (and copies) the value of the entry at `entry`; false
// for an unknown kind or a payload that does not fit.
func valueAt(b []byte, entry int) (Value, bool) {
	k, ok := kindAt(b, entry)
	if !ok {
		return Value{}, false
	}
	p := entry + 16
	switch k {
	case wireStr:
		s, ok := strBytesAt(b, p)
		return Value{Kind: KindStr, Str: string(s)}, ok
	case wireInt:
		v, ok := u64At(b, p)
		return Value{Kind: KindInt, Int: int64(v)}, ok
	case wireUint:
		v, ok := u64At(b, p)
		return Value{Kind: KindUint, Uint: v}, ok
	case wireBool:
		v, ok := u64At(b, p)
		return Value{Kind: KindBool, Bool: v != 0}, ok
	case wireBytes:
		s, ok := bytesAt(b, p)
		if !ok {
			return Value{}, false
		}
		return Value{Kind: KindBytes, Bytes: append([]byte{}, s...)}, true
	case wireStrList:
		list, ok := strListCopy(b, p)
		return Value{Kind: KindStrList, StrList: list}, ok
	}
	return Value{}, false
}

// strListAt reads a str-list payload: the table's offset and its count,
// when the whole table fits in the event. A malformed entry of a table
// that fits reads as "" (the list keeps its length).
func strListAt(b []byte, p int) (table, count int, ok bool) {
	off, ok1 := u32At(b, p)
	n, ok2 := u32At(b, p+4)
	if !ok1 || !ok2 || int(off)+8*int(n) > len(b) {
		return 0, 0, false
	}
	return int(off), int(n), true
}

// strListCopy decodes (and copies) the str-list at p; false when its
// table does not fit. An empty list is a non-nil empty slice, so a
// present empty list and an absent one stay apart for callers that care.
func strListCopy(b []byte, p int) ([]string, bool) {
	table, n, ok := strListAt(b, p)
	if !ok {
		return nil, false
	}
	list := make([]string, n)
	for i := range list {
		list[i] = strAt(b, table+8*i)
	}
	return list, true
}
