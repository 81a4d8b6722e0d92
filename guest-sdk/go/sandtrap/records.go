// Store answers, read in place: a record list and one view per record
// kind (docs/wire-encoding.md, "Store answers"). The store functions
// (stores.go, reputation.go) return these views; this file is
// plain Go so the decoder is tested natively against the conformance
// vectors (test.sh), like the event decoder it shares its readers with.
//
// Why views and not structs: lowering typed records made the component
// model call the guest's allocator once for every string and argv entry
// of every record, most of which a detector never reads. A view holds the
// answer's bytes and decodes a field when its accessor is called. The
// rules are the events' (and the reference reader's,
// guest-sdk/wire/src/records.rs): a field that does not fit inside its
// record reads as absent (0, "", an empty list), never as a panic.

package sandtrap

import (
	"bytes"
	"iter"
)

// Offsets of the fixed fields of each record kind, from the record's
// first byte.
const (
	procEntityID       = 0
	procParentEntityID = 8
	procStartTime      = 16
	procExitTime       = 24
	procPID            = 32
	procPPID           = 36
	procUID            = 40
	procGID            = 44
	procName           = 48
	procExe            = 56
	procContainerID    = 64
	procArgv           = 72

	ctrStartTime    = 0
	ctrID           = 8
	ctrName         = 16
	ctrImage        = 24
	ctrImageDigest  = 32
	ctrRuntime      = 40
	ctrPodName      = 48
	ctrPodUID       = 56
	ctrPodNamespace = 64
	ctrFlags        = 72
	// Bits of the flags byte.
	ctrHasPod  = 1
	ctrSandbox = 2

	dnsQuery   = 0
	dnsIPs     = 8
	dnsDomains = 16

	symQuery   = 0
	symAddress = 8
	symName    = 16
	symModule  = 24

	repLastUpdated = 0
	repIP          = 8
	repSource      = 16
	repTags        = 24
	repStatus      = 32
	repSeverity    = 33
)

// recordView is what a Records list can hold: the views of the record
// kinds, each nothing but the record's bytes. The constraint lets one
// generic list make any of them from a span without a constructor table.
type recordView interface {
	~struct{ b []byte }
}

// Records is the record list of one store answer, read in place. It is a
// small value (the answer's bytes and the count): copy it freely. The
// views it hands out keep the answer's bytes alive, so they stay valid
// after the call that made them, and after OnEvent returns.
type Records[T recordView] struct {
	buf   []byte
	count int
}

// NewRecords is a view of an encoded answer; nothing is decoded or
// copied. A count larger than the offset table that fits in buf is cut
// to what fits. The store functions make their answers themselves; this
// is for native unit tests of detector logic, with buffers made by the
// encoder in guest-sdk/wire (`encode_records`).
func NewRecords[T recordView](buf []byte) Records[T] {
	return Records[T]{buf: buf, count: frameCount(buf)}
}

// Len is the number of records.
func (r Records[T]) Len() int { return r.count }

// At is record i; out of range, or with malformed bounds, it is an empty
// record whose fields all read as absent.
func (r Records[T]) At(i int) T {
	return T(struct{ b []byte }{b: frame(r.buf, r.count, i)})
}

// All yields the records in order with their index:
//
//	for i, p := range chain.All() { … }
func (r Records[T]) All() iter.Seq2[int, T] {
	return func(yield func(int, T) bool) {
		for i := range r.count {
			if !yield(i, r.At(i)) {
				return
			}
		}
	}
}

// single is the record of an answer that names one thing (get-process,
// get-container, get-dns-response, reader.get): its first record, or an
// empty one if the host sent none.
func single[T recordView](buf []byte) T {
	return NewRecords[T](buf).At(0)
}

func u64Or0(b []byte, at int) uint64 { v, _ := u64At(b, at); return v }

func u32Or0(b []byte, at int) uint32 { v, _ := u32At(b, at); return v }

// byteAt is the byte at `at`, 0 when the record is too short.
func byteAt(b []byte, at int) uint8 {
	if at < 0 || at >= len(b) {
		return 0
	}
	return b[at]
}

// strList reads a str-list field: its strings copied, nil when the
// table does not fit in the record.
func strList(b []byte, at int) []string {
	l, _ := strListCopy(b, at)
	return l
}

// ProcessInfo is a process of the process tree (GetProcess,
// GetChildProcesses, GetAncestry), read in place.
type ProcessInfo struct{ b []byte }

// EntityID is the process's 64-bit id, unique for the host's lifetime.
func (p ProcessInfo) EntityID() uint64 { return u64Or0(p.b, procEntityID) }

// ParentEntityID is the parent's entity id, 0 when unknown.
func (p ProcessInfo) ParentEntityID() uint64 { return u64Or0(p.b, procParentEntityID) }

// StartTime is the start in ns since the Unix epoch.
func (p ProcessInfo) StartTime() uint64 { return u64Or0(p.b, procStartTime) }

// ExitTime is the exit in ns since the Unix epoch; ok is false while the
// process runs.
func (p ProcessInfo) ExitTime() (t uint64, ok bool) {
	t = u64Or0(p.b, procExitTime)
	return t, t != 0
}

// PID is the OS process id.
func (p ProcessInfo) PID() uint32 { return u32Or0(p.b, procPID) }

// PPID is the OS parent process id.
func (p ProcessInfo) PPID() uint32 { return u32Or0(p.b, procPPID) }

// UID is the real user id.
func (p ProcessInfo) UID() uint32 { return u32Or0(p.b, procUID) }

// GID is the real group id.
func (p ProcessInfo) GID() uint32 { return u32Or0(p.b, procGID) }

// Name is the binary name, e.g. `bash`.
func (p ProcessInfo) Name() string { return strAt(p.b, procName) }

// Exe is the full executable path, e.g. `/usr/bin/bash`.
func (p ProcessInfo) Exe() string { return strAt(p.b, procExe) }

// ContainerID is empty outside containers.
func (p ProcessInfo) ContainerID() string { return strAt(p.b, procContainerID) }

// Argv is the arguments of the last exec. A malformed entry of a list
// that fits reads as "".
func (p ProcessInfo) Argv() []string { return strList(p.b, procArgv) }

// Is reports whether the binary name or the basename of the executable is
// name, reading both in place: walking an ancestry for a shell or a web
// server then copies no string.
func (p ProcessInfo) Is(name string) bool {
	if n, ok := strBytesAt(p.b, procName); ok && string(n) == name {
		return true
	}
	exe, ok := strBytesAt(p.b, procExe)
	if !ok {
		return false
	}
	base := exe[bytes.LastIndexByte(exe, '/')+1:]
	return string(base) == name
}

// ContainerInfo is a container known to the host (GetContainer,
// GetContainerByName, ListContainers), read in place.
type ContainerInfo struct{ b []byte }

// StartTime is the start in ns since the Unix epoch.
func (c ContainerInfo) StartTime() uint64 { return u64Or0(c.b, ctrStartTime) }

// ID is the full container id.
func (c ContainerInfo) ID() string { return strAt(c.b, ctrID) }

// Name is the container's name.
func (c ContainerInfo) Name() string { return strAt(c.b, ctrName) }

// Image is the image reference.
func (c ContainerInfo) Image() string { return strAt(c.b, ctrImage) }

// ImageDigest is the image's digest.
func (c ContainerInfo) ImageDigest() string { return strAt(c.b, ctrImageDigest) }

// Runtime is `docker`, `containerd`, `crio` or `podman`.
func (c ContainerInfo) Runtime() string { return strAt(c.b, ctrRuntime) }

// Pod is the Kubernetes pod the container belongs to; ok is false outside
// a pod (or when the record is too short to say).
func (c ContainerInfo) Pod() (pod PodInfo, ok bool) {
	if byteAt(c.b, ctrFlags)&ctrHasPod == 0 {
		return PodInfo{}, false
	}
	return PodInfo(c), true
}

// PodInfo is the pod of a container, read in place from the container's
// record.
type PodInfo struct{ b []byte }

// Name is the pod's name.
func (p PodInfo) Name() string { return strAt(p.b, ctrPodName) }

// UID is the pod's uid.
func (p PodInfo) UID() string { return strAt(p.b, ctrPodUID) }

// Namespace is the pod's namespace.
func (p PodInfo) Namespace() string { return strAt(p.b, ctrPodNamespace) }

// Sandbox reports whether the container is the pod's sandbox (pause)
// container.
func (p PodInfo) Sandbox() bool { return byteAt(p.b, ctrFlags)&ctrSandbox != 0 }

// DNSResponse is what the DNS store knows about a name or an address
// (GetDNSResponse), read in place.
type DNSResponse struct{ b []byte }

// Query is the name or address that was asked about.
func (r DNSResponse) Query() string { return strAt(r.b, dnsQuery) }

// IPs are the addresses the name resolved to, after following CNAMEs.
func (r DNSResponse) IPs() []string { return strList(r.b, dnsIPs) }

// Domains is the CNAME chain of a domain query, or the names that
// resolved to the address of an IP query.
func (r DNSResponse) Domains() []string { return strList(r.b, dnsDomains) }

// SymbolInfo is a kernel symbol with the address that was resolved to it
// (ResolveSymbolByAddress, ResolveSymbolsBatch), read in place.
type SymbolInfo struct{ b []byte }

// Query is the address that was asked about; in a batch answer it says
// which address the record answers.
func (s SymbolInfo) Query() uint64 { return u64Or0(s.b, symQuery) }

// Address is the symbol's start.
func (s SymbolInfo) Address() uint64 { return u64Or0(s.b, symAddress) }

// Name is the symbol's name.
func (s SymbolInfo) Name() string { return strAt(s.b, symName) }

// Module is `system` for the core kernel, else the owning module.
func (s SymbolInfo) Module() string { return strAt(s.b, symModule) }

// ReputationRecord is an entry of an IP-reputation store with the source
// that wrote it (Reader.Get, Reader.GetAll), read in place.
type ReputationRecord struct{ b []byte }

// LastUpdated is the last update in ns since the Unix epoch.
func (r ReputationRecord) LastUpdated() uint64 { return u64Or0(r.b, repLastUpdated) }

// IP is the address or CIDR prefix the entry was written for.
func (r ReputationRecord) IP() string { return strAt(r.b, repIP) }

// Source is the source that wrote the entry.
func (r ReputationRecord) Source() string { return strAt(r.b, repSource) }

// Tags are free-form labels, e.g. `c2`.
func (r ReputationRecord) Tags() []string { return strList(r.b, repTags) }

// Status is the verdict; a code the SDK does not know reads as
// ReputationUnknown.
func (r ReputationRecord) Status() ReputationStatus {
	s := ReputationStatus(byteAt(r.b, repStatus))
	if s > ReputationBlacklisted {
		return ReputationUnknown
	}
	return s
}

// Severity is 1 (lowest) to 10 (highest); 0 when absent.
func (r ReputationRecord) Severity() uint8 { return byteAt(r.b, repSeverity) }

// Reputation decodes the whole entry (without its source) into the value
// Writer.Write takes, e.g. to copy an entry into a store of one's own.
func (r ReputationRecord) Reputation() Reputation {
	return Reputation{
		IP:          r.IP(),
		Status:      r.Status(),
		Severity:    r.Severity(),
		Tags:        r.Tags(),
		LastUpdated: r.LastUpdated(),
	}
}
