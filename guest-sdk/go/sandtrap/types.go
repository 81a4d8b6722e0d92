// Go mirrors of the records, enums and variants of the contract in wit/
// that cross as typed values, and the SDK's own Value, Field and
// Detection, which cross as flat buffers: events (event.go), store
// answers (records.go) and detections (output.go) are encoded as
// docs/wire-encoding.md says, not as WIT records.
// Field order follows the WIT declarations; the memory layout the host
// sees is computed by hand in abi.go, never from these Go structs (Go's
// wasm port has 8-byte ints and pointers, the canonical ABI has 4-byte
// pointers).

package sandtrap

// ValueKind is the case of a [Value]; the number is the argument kind of
// docs/wire-encoding.md.
type ValueKind uint8

const (
	KindStr ValueKind = iota
	KindInt
	KindUint
	KindBool
	KindBytes
	KindStrList
)

func (k ValueKind) String() string {
	switch k {
	case KindStr:
		return "str"
	case KindInt:
		return "int"
	case KindUint:
		return "uint"
	case KindBool:
		return "boolean"
	case KindBytes:
		return "bytes"
	case KindStrList:
		return "str-list"
	}
	return "invalid"
}

// Value is a typed event argument or finding field. Only the member named
// by Kind is meaningful; build one with [Str], [Int], [Uint], [Bool],
// [Bytes] or [StrList].
type Value struct {
	Kind    ValueKind
	Str     string
	Int     int64
	Uint    uint64
	Bool    bool
	Bytes   []byte
	StrList []string
}

// Field is one named argument of an event or field of a finding.
type Field struct {
	Name  string
	Value Value
}

// Severity of a finding.
type Severity uint8

const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

// FilterOp compares an event field with a selector's value, on the host.
type FilterOp uint8

const (
	OpEqual FilterOp = iota
	OpNotEqual
	OpPrefix
	OpSuffix
	OpContains
	// OpBlacklistedIn: the field is an address that the reputation store
	// named by the value blacklists; the host answers it from the store.
	OpBlacklistedIn
	// OpInConfig: the field equals an item of the configuration list named
	// by the value; the host reads the list from each instance's
	// configuration.
	OpInConfig
	// OpDomainInConfig: the field is a domain listed under the
	// configuration key named by the value, or a subdomain of one (no
	// case, a trailing dot ignored).
	OpDomainInConfig
)

// FieldFilter is one condition of a [Selector]. Field names an argument or
// one of `process.comm`, `process.exe`, `process.uid`, `process.pid`,
// `container.id`.
type FieldFilter struct {
	Field string
	Op    FilterOp
	Value string
}

// Selector picks events named Event (`*` for all) whose fields pass every
// filter. The host applies selectors before calling into the sandbox.
type Selector struct {
	Event   string
	Filters []FieldFilter
}

// FindingDefinition describes the finding a detector produces.
type FindingDefinition struct {
	Name           string
	Description    string
	Severity       Severity
	MitreTactic    string
	MitreTechnique string
	// Names of the fields a detection carries.
	Fields []string
}

// Description is what `describe` returns.
type Description struct {
	ID             string
	Name           string
	Version        string
	Description    string
	Selectors      []Selector
	RequiredStores []string
	OptionalStores []string
	Finding        FindingDefinition
}

// Detection is one positive result. The host adds the definition, the
// event, the process with its ancestry and the container. A repeated
// field name keeps its first value.
type Detection struct {
	Fields []Field
	// Overrides the definition's severity when set.
	Severity *Severity
}

// ContainerFilter selects containers; nil members match anything.
type ContainerFilter struct {
	Name    *string
	Image   *string
	Runtime *string
}

// NamespaceID names one of the host's initial namespaces.
type NamespaceID struct {
	Kind  string
	Inode uint32
}

// SystemInfo holds immutable facts about the machine and the host.
type SystemInfo struct {
	Architecture   string
	KernelRelease  string
	Hostname       string
	BootTime       uint64
	HostStartTime  uint64
	OSName         string
	OSVersion      string
	OSPrettyName   string
	HostVersion    string
	InitNamespaces []NamespaceID
}

// ReputationStatus is the verdict of an IP-reputation entry.
type ReputationStatus uint8

const (
	ReputationUnknown ReputationStatus = iota
	ReputationClean
	ReputationSuspicious
	ReputationBlacklisted
)

func (s ReputationStatus) String() string {
	switch s {
	case ReputationUnknown:
		return "unknown"
	case ReputationClean:
		return "clean"
	case ReputationSuspicious:
		return "suspicious"
	case ReputationBlacklisted:
		return "blacklisted"
	}
	return "invalid"
}

// Reputation is an entry for an address or a CIDR prefix, as a detector
// writes it (Writer.Write, Writer.WriteBatch). Reads answer with
// [ReputationRecord] views, which add the source.
type Reputation struct {
	IP     string
	Status ReputationStatus
	// 1 (lowest) to 10 (highest).
	Severity    uint8
	Tags        []string
	LastUpdated uint64
}

// HealthStatus of a store.
type HealthStatus uint8

const (
	HealthUnknown HealthStatus = iota
	HealthHealthy
	HealthUnhealthy
)

// HealthInfo is a store's health.
type HealthInfo struct {
	Status    HealthStatus
	Message   string
	LastCheck uint64
}

// StoreMetrics are a store's counters.
type StoreMetrics struct {
	ItemCount    int64
	SuccessCount uint64
	ErrorCount   uint64
	CacheHits    uint64
	CacheMisses  uint64
	LastAccess   uint64
}

// StoreMetadata describes a store.
type StoreMetadata struct {
	Name        string
	Description string
	// Schema version of the store's records.
	Version  uint32
	Writable bool
	// Detector id of the owner, for writable stores.
	Owner *string
}
