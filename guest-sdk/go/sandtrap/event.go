// Reading event arguments by name and type, and building values and
// detections, without matching on Value by hand.

package sandtrap

import "math"

// Str, Int, Uint, Bool, Bytes and StrList build a Value of each kind.
func Str(s string) Value       { return Value{Kind: KindStr, Str: s} }
func Int(i int64) Value        { return Value{Kind: KindInt, Int: i} }
func Uint(u uint64) Value      { return Value{Kind: KindUint, Uint: u} }
func Bool(b bool) Value        { return Value{Kind: KindBool, Bool: b} }
func Bytes(b []byte) Value     { return Value{Kind: KindBytes, Bytes: b} }
func StrList(l []string) Value { return Value{Kind: KindStrList, StrList: l} }

// Arg returns the raw value of argument name.
func (ev *Event) Arg(name string) (Value, bool) {
	for i := range ev.Args {
		if ev.Args[i].Name == name {
			return ev.Args[i].Value, true
		}
	}
	return Value{}, false
}

// ArgStr returns a string argument.
func (ev *Event) ArgStr(name string) (string, bool) {
	v, ok := ev.Arg(name)
	if !ok || v.Kind != KindStr {
		return "", false
	}
	return v.Str, true
}

// ArgInt returns an integer argument of either signedness that fits in
// int64. Scenario and trace integers ≥ 0 arrive as uint, negative ones as
// int, so read numbers with ArgInt or ArgUint rather than by Kind.
func (ev *Event) ArgInt(name string) (int64, bool) {
	v, ok := ev.Arg(name)
	switch {
	case !ok:
		return 0, false
	case v.Kind == KindInt:
		return v.Int, true
	case v.Kind == KindUint && v.Uint <= math.MaxInt64:
		return int64(v.Uint), true
	}
	return 0, false
}

// ArgUint returns an integer argument of either signedness that fits in
// uint64.
func (ev *Event) ArgUint(name string) (uint64, bool) {
	v, ok := ev.Arg(name)
	switch {
	case !ok:
		return 0, false
	case v.Kind == KindUint:
		return v.Uint, true
	case v.Kind == KindInt && v.Int >= 0:
		return uint64(v.Int), true
	}
	return 0, false
}

// ArgBool returns a boolean argument.
func (ev *Event) ArgBool(name string) (bool, bool) {
	v, ok := ev.Arg(name)
	if !ok || v.Kind != KindBool {
		return false, false
	}
	return v.Bool, true
}

// ArgBytes returns a bytes argument.
func (ev *Event) ArgBytes(name string) ([]byte, bool) {
	v, ok := ev.Arg(name)
	if !ok || v.Kind != KindBytes {
		return nil, false
	}
	return v.Bytes, true
}

// ArgList returns a string-list argument (e.g. `argv`).
func (ev *Event) ArgList(name string) ([]string, bool) {
	v, ok := ev.Arg(name)
	if !ok || v.Kind != KindStrList {
		return nil, false
	}
	return v.StrList, true
}

// InContainer reports whether the event's process runs in a container.
func (ev *Event) InContainer() bool { return ev.Process.ContainerID != "" }

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
