// The output encoding of contract 0.4 (docs/wire-encoding.md, "Output"):
// what one on-events call found, detections and errors naming their event
// by its index in the batch, as one record list handed to host.report.
// Plain Go (no wasm directives), so the encoder is tested natively against
// guest-sdk/wire/testdata/output.bin; it follows the reference encoder
// `OutputFields` of guest-sdk/wire/src/write.rs, data order included, so
// the bytes match it exactly.
//
// The host reads this buffer strictly and traps the instance on anything
// it cannot read, so the encoder never writes what a detector got wrong:
// strings that are not UTF-8 are repaired, a Value of no known kind is sent
// as an empty string, an out-of-range severity is clamped, and a batch
// whose output would pass the host's size limit has its excess replaced
// by errors.

package sandtrap

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Offsets of an output record's fixed part, from its first byte; the
// field table (argument entries, argLen bytes each) follows it.
const (
	atOutIndex      = 0
	atOutKind       = 4
	atOutSeverity   = 5
	atOutMessage    = 8
	atOutFieldCount = 16
	outLen          = 20

	outDetection = 0
	outError     = 1
)

// maxReport is the most one on-events call may report (host.report traps
// beyond it).
const maxReport = 4 << 20

// found is what one event of a batch produced: a detection or an error,
// in the order the detector found them.
type found struct {
	index     uint32
	isError   bool
	message   string
	detection Detection
}

// severityCode is the severity byte of a detection: 0 keeps the
// definition's, 1..5 are info..critical. A Severity converted from an
// out-of-range integer is clamped rather than sent as a code the host
// refuses.
func severityCode(s *Severity) uint8 {
	if s == nil {
		return 0
	}
	return uint8(min(*s, SeverityCritical)) + 1
}

// validUTF8 repairs a string the host would refuse. Go strings may hold
// any bytes (a field cut mid-character, bytes converted with string()),
// and one bad string must not cost the instance; the check allocates
// nothing in the usual, valid case.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// recordWriter appends one record to out; offsets count from base, the
// record's first byte.
type recordWriter struct {
	out  []byte
	base int
}

func (w *recordWriter) u32At(at int, v uint32) { putLE32(w.out[w.base+at:], v) }

func (w *recordWriter) u64At(at int, v uint64) {
	putLE32(w.out[w.base+at:], uint32(v))
	putLE32(w.out[w.base+at+4:], uint32(v>>32))
}

func putLE32(b []byte, v uint32) {
	_ = b[3]
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// strAt appends s to the data area and points the str at `at` to it. The
// empty string stays (0, 0), as the reference encoder writes it.
func (w *recordWriter) strAt(at int, s string) {
	if s == "" {
		return
	}
	w.u32At(at, uint32(len(w.out)-w.base))
	w.u32At(at+4, uint32(len(s)))
	w.out = append(w.out, s...)
}

func (w *recordWriter) bytesAt(at int, b []byte) {
	if len(b) == 0 {
		return
	}
	w.u32At(at, uint32(len(w.out)-w.base))
	w.u32At(at+4, uint32(len(b)))
	w.out = append(w.out, b...)
}

// listAt appends a str table, then its strings, and points the str-list
// at `at` to the table; an empty list still records where its table would
// start (the reference encoder's rule, which output.bin follows).
func (w *recordWriter) listAt(at int, list []string) {
	table := len(w.out) - w.base
	w.u32At(at, uint32(table))
	w.u32At(at+4, uint32(len(list)))
	w.out = append(w.out, make([]byte, 8*len(list))...)
	for i, s := range list {
		w.strAt(table+8*i, validUTF8(s))
	}
}

// fields fills the argument table at `table` with the detection's fields:
// each name's bytes, then its value's data, in table order.
func (w *recordWriter) fields(table int, fields []Field) {
	for i := range fields {
		f := &fields[i]
		entry := table + i*argLen
		w.strAt(entry, validUTF8(f.Name))
		p := entry + 16
		kind := uint8(f.Value.Kind)
		switch f.Value.Kind {
		case KindStr:
			w.strAt(p, validUTF8(f.Value.Str))
		case KindInt:
			w.u64At(p, uint64(f.Value.Int))
		case KindUint:
			w.u64At(p, f.Value.Uint)
		case KindBool:
			if f.Value.Bool {
				w.u64At(p, 1)
			}
		case KindBytes:
			w.bytesAt(p, f.Value.Bytes)
		case KindStrList:
			w.listAt(p, f.Value.StrList)
		default:
			// A Value built without a constructor: an unknown kind byte
			// would trap the instance, so the field goes as an empty str.
			kind = wireStr
		}
		w.out[w.base+entry+8] = kind
	}
}

// appendRecord appends the output record of item to out.
func appendRecord(out []byte, item *found) []byte {
	n := 0
	if !item.isError {
		n = len(item.detection.Fields)
	}
	w := recordWriter{out: out, base: len(out)}
	w.out = append(w.out, make([]byte, outLen+n*argLen)...)
	w.u32At(atOutIndex, item.index)
	if item.isError {
		w.out[w.base+atOutKind] = outError
		w.strAt(atOutMessage, validUTF8(item.message))
		return w.out
	}
	w.out[w.base+atOutKind] = outDetection
	w.out[w.base+atOutSeverity] = severityCode(item.detection.Severity)
	w.u32At(atOutFieldCount, uint32(n))
	w.fields(outLen, item.detection.Fields)
	return w.out
}

// appendRecords appends items to out[:0] as one record list, framed like
// a batch (a count, then each record's start).
func appendRecords(out []byte, items []found) []byte {
	out = append(out[:0], make([]byte, 4+4*len(items))...)
	putLE32(out, uint32(len(items)))
	for i := range items {
		putLE32(out[4+4*i:], uint32(len(out)))
		out = appendRecord(out, &items[i])
	}
	return out
}

// encodeOutput writes items as the output record list into out (its
// storage is reused) and returns it. An output larger than limit (which
// the host would answer with a trap, losing the instance's state) keeps
// the longest prefix of items that fits and reports, for each event whose
// output was cut, one error saying so in its place.
func encodeOutput(out []byte, items []found, limit int) []byte {
	out = appendRecords(out, items)
	if len(out) <= limit {
		return out
	}
	return appendRecords(out, fitOutput(items, limit))
}

// fitOutput is the slow path of encodeOutput: it measures every record
// by encoding it alone (records are position-independent) and picks the
// largest k such that items[:k], plus one error per event among
// items[k:], fits in limit.
func fitOutput(items []found, limit int) []found {
	var scratch []byte
	size := make([]int, len(items))
	for i := range items {
		scratch = appendRecord(scratch[:0], &items[i])
		size[i] = 4 + len(scratch)
	}
	cut := func(index uint32) found {
		return found{index: index, isError: true,
			message: "output of this event dropped: the batch's report would exceed " + strconv.Itoa(limit) + " bytes"}
	}
	// cutSize[k] is the size of the errors replacing items[k:]: one per
	// distinct event (items come in event order).
	cutSize := make([]int, len(items)+1)
	for k := len(items) - 1; k >= 0; k-- {
		cutSize[k] = cutSize[k+1]
		if k == len(items)-1 || items[k+1].index != items[k].index {
			cutSize[k] += 4 + outLen + len(cut(items[k].index).message)
		}
	}
	keep, total := 0, 4
	for keep < len(items) && total+size[keep]+cutSize[keep+1] <= limit {
		total += size[keep]
		keep++
	}
	kept := append([]found{}, items[:keep]...)
	for k := keep; k < len(items); k++ {
		if k > keep && items[k].index == items[k-1].index {
			continue
		}
		e := cut(items[k].index)
		// Only a batch of tens of thousands of cut events gets here: the
		// errors themselves are cut to what fits.
		if total+4+outLen+len(e.message) > limit {
			break
		}
		total += 4 + outLen + len(e.message)
		kept = append(kept, e)
	}
	return kept
}
