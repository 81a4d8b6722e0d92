// The event a detector receives, read in place from the batch buffer
// (wire.go decodes), its argument accessors by name and type, and the
// builders of values and detections.

package sandtrap

import "math"

// Str, Int, Uint, Bool, Bytes and StrList build a Value of each kind.
func Str(s string) Value       { return Value{Kind: KindStr, Str: s} }
func Int(i int64) Value        { return Value{Kind: KindInt, Int: i} }
func Uint(u uint64) Value      { return Value{Kind: KindUint, Uint: u} }
func Bool(b bool) Value        { return Value{Kind: KindBool, Bool: b} }
func Bytes(b []byte) Value     { return Value{Kind: KindBytes, Bytes: b} }
func StrList(l []string) Value { return Value{Kind: KindStrList, StrList: l} }

// Event is one event of a batch, read in place from the buffer the host
// sent: a field is decoded when an accessor reads it, and a field the
// detector never reads costs nothing. Strings, byte strings and lists are
// returned as copies, safe to keep after OnEvent returns. A malformed
// field reads as absent (zero, "", or ok == false), never as a panic.
type Event struct {
	b []byte
	// Process is the process the event came from, as the collector saw
	// it; its accessors read in place like the event's.
	Process ProcessContext
}

// NewEvent is a view of one encoded event (docs/wire-encoding.md), for
// native unit tests of detector logic; the SDK makes the events it passes
// to OnEvent itself.
func NewEvent(encoded []byte) *Event {
	return &Event{b: encoded, Process: ProcessContext{b: encoded}}
}

// Seq is the event's position in the host's stream, unique and increasing.
func (ev *Event) Seq() uint64 { v, _ := u64At(ev.b, atSeq); return v }

// Timestamp is in nanoseconds since the Unix epoch.
func (ev *Event) Timestamp() uint64 { v, _ := u64At(ev.b, atTimestamp); return v }

// Name is the Tracee-style event name: `sched_process_exec`, `mount`, …
func (ev *Event) Name() string { return strAt(ev.b, atName) }

// ArgCount is the number of entries in the event's argument table.
func (ev *Event) ArgCount() int { return argCount(ev.b) }

// Args decodes every argument, in the producer's order; a malformed one
// is skipped. Names may repeat: the accessors below return the first.
// Prefer the accessors when you know the names, they decode one argument.
func (ev *Event) Args() []Field {
	n := argCount(ev.b)
	if n == 0 {
		return nil
	}
	out := make([]Field, 0, n)
	for i := range n {
		if f, ok := argAt(ev.b, headerLen+i*argLen); ok {
			out = append(out, f)
		}
	}
	return out
}

// lookup finds the first argument named name and returns its entry and
// kind, when that argument is well-formed enough to be read at all (a
// UTF-8 name and a kind byte). A later argument of the same name is never
// the answer, even when the first is malformed: the host's rule.
func (ev *Event) lookup(name string) (entry int, kind uint8, ok bool) {
	entry, ok = findArg(ev.b, name)
	if !ok {
		return 0, 0, false
	}
	if _, ok = strBytesAt(ev.b, entry); !ok {
		return 0, 0, false
	}
	kind, ok = kindAt(ev.b, entry)
	return entry, kind, ok
}

// Arg returns the value of argument name, decoded.
func (ev *Event) Arg(name string) (Value, bool) {
	if entry, _, ok := ev.lookup(name); ok {
		return valueAt(ev.b, entry)
	}
	return Value{}, false
}

// ArgStr returns a string argument.
func (ev *Event) ArgStr(name string) (string, bool) {
	entry, kind, ok := ev.lookup(name)
	if !ok || kind != wireStr {
		return "", false
	}
	s, ok := strBytesAt(ev.b, entry+16)
	return string(s), ok
}

// integer reads an int or uint argument as its raw 64 bits, with the
// signedness the producer gave it.
func (ev *Event) integer(name string) (bits uint64, signed, ok bool) {
	entry, kind, ok := ev.lookup(name)
	if !ok || (kind != wireInt && kind != wireUint) {
		return 0, false, false
	}
	bits, ok = u64At(ev.b, entry+16)
	return bits, kind == wireInt, ok
}

// ArgInt returns an integer argument of either signedness that fits in
// int64. Scenario and trace integers ≥ 0 arrive as uint, negative ones as
// int, so read numbers with ArgInt or ArgUint rather than by Kind.
func (ev *Event) ArgInt(name string) (int64, bool) {
	bits, signed, ok := ev.integer(name)
	if !ok || (!signed && bits > math.MaxInt64) {
		return 0, false
	}
	return int64(bits), true
}

// ArgUint returns an integer argument of either signedness that fits in
// uint64.
func (ev *Event) ArgUint(name string) (uint64, bool) {
	bits, signed, ok := ev.integer(name)
	if !ok || (signed && int64(bits) < 0) {
		return 0, false
	}
	return bits, true
}

// ArgBool returns a boolean argument.
func (ev *Event) ArgBool(name string) (bool, bool) {
	entry, kind, ok := ev.lookup(name)
	if !ok || kind != wireBool {
		return false, false
	}
	v, ok := u64At(ev.b, entry+16)
	return v != 0, ok
}

// ArgBytes returns a bytes argument (a copy).
func (ev *Event) ArgBytes(name string) ([]byte, bool) {
	entry, kind, ok := ev.lookup(name)
	if !ok || kind != wireBytes {
		return nil, false
	}
	s, ok := bytesAt(ev.b, entry+16)
	if !ok {
		return nil, false
	}
	return append([]byte{}, s...), true
}

// ArgList returns a string-list argument (e.g. `argv`). A malformed
// string inside a well-formed list reads as "".
func (ev *Event) ArgList(name string) ([]string, bool) {
	entry, kind, ok := ev.lookup(name)
	if !ok || kind != wireStrList {
		return nil, false
	}
	v, ok := valueAt(ev.b, entry)
	return v.StrList, ok
}

// InContainer reports whether the event's process runs in a container,
// without copying the id.
func (ev *Event) InContainer() bool {
	id, ok := strBytesAt(ev.b, atContainerID)
	return ok && len(id) > 0
}

// ProcessContext is the process an event came from, read in place.
type ProcessContext struct{ b []byte }

// EntityID is the process's 64-bit id, unique for the host's lifetime
// (the key of the process store).
func (p ProcessContext) EntityID() uint64 { v, _ := u64At(p.b, atEntityID); return v }

// ParentEntityID is the parent's entity id.
func (p ProcessContext) ParentEntityID() uint64 { v, _ := u64At(p.b, atParentEntityID); return v }

// StartTicks is the process start in clock ticks since boot.
func (p ProcessContext) StartTicks() uint64 { v, _ := u64At(p.b, atStartTicks); return v }

// CgroupID is the cgroup v2 id.
func (p ProcessContext) CgroupID() uint64 { v, _ := u64At(p.b, atCgroupID); return v }

// PID is the thread-group id.
func (p ProcessContext) PID() uint32 { v, _ := u32At(p.b, atPID); return v }

// TID is the thread id.
func (p ProcessContext) TID() uint32 { v, _ := u32At(p.b, atTID); return v }

// PPID is the parent's thread-group id.
func (p ProcessContext) PPID() uint32 { v, _ := u32At(p.b, atPPID); return v }

// UID is the real user id.
func (p ProcessContext) UID() uint32 { v, _ := u32At(p.b, atUID); return v }

// GID is the real group id.
func (p ProcessContext) GID() uint32 { v, _ := u32At(p.b, atGID); return v }

// Comm is the task's command name.
func (p ProcessContext) Comm() string { return strAt(p.b, atComm) }

// Exe is the executable's path, when known.
func (p ProcessContext) Exe() string { return strAt(p.b, atExe) }

// ContainerID is empty when the process is not in a container.
func (p ProcessContext) ContainerID() string { return strAt(p.b, atContainerID) }

// NewDetection starts a detection with the definition's severity. The
// methods return a new Detection, so calls chain:
//
//	sandtrap.NewDetection().Str("path", p).Uint("flags", f)
func NewDetection() Detection { return Detection{} }

// Field adds a field.
func (d Detection) Field(name string, v Value) Detection {
	d.Fields = append(d.Fields, Field{Name: name, Value: v})
	return d
}

// Str adds a string field.
func (d Detection) Str(name, v string) Detection { return d.Field(name, Str(v)) }

// Int adds a signed integer field.
func (d Detection) Int(name string, v int64) Detection { return d.Field(name, Int(v)) }

// Uint adds an unsigned integer field.
func (d Detection) Uint(name string, v uint64) Detection { return d.Field(name, Uint(v)) }

// Bool adds a boolean field.
func (d Detection) Bool(name string, v bool) Detection { return d.Field(name, Bool(v)) }

// Bytes adds a bytes field.
func (d Detection) Bytes(name string, v []byte) Detection { return d.Field(name, Bytes(v)) }

// List adds a string-list field.
func (d Detection) List(name string, v []string) Detection { return d.Field(name, StrList(v)) }

// WithSeverity overrides the definition's severity for this detection.
func (d Detection) WithSeverity(s Severity) Detection {
	d.Severity = &s
	return d
}
