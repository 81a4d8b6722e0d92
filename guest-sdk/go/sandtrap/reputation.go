// Writable IP-reputation stores (WIT interface `ip-reputation`): the
// detector that registers a store owns its only Writer; anyone may open
// Readers. Handles are host resources; Close gives them back.

//go:build wasip1

package sandtrap

// ConflictPolicy decides how entries of different sources combine.
type ConflictPolicy uint8

const (
	// PolicyLastWriteWins: the newest LastUpdated wins.
	PolicyLastWriteWins ConflictPolicy = iota
	// PolicyMaxSeverity: the highest severity wins.
	PolicyMaxSeverity
	// PolicyPriority: the highest source priority wins.
	PolicyPriority
)

// SourcePriority ranks a source under PolicyPriority.
type SourcePriority struct {
	Source   string
	Priority uint32
}

// reputation: ip@0, status@8, severity@9, tags@12, last-updated@24; size
// 32, align 8.
const reputationSize = 32

func storeReputation(a uint32, r *Reputation) {
	storeString(a, r.IP)
	st8(a+8, uint8(r.Status))
	st8(a+9, r.Severity)
	storeStrings(a+12, r.Tags)
	st64(a+24, r.LastUpdated)
}

// Reader reads a reputation store.
type Reader struct{ handle uint32 }

// Writer writes the reputation store its detector owns.
type Writer struct{ handle uint32 }

func liftHandle(a uint32) uint32 { return ld32(a) }

func liftUnit(uint32) struct{} { return struct{}{} }

func liftBool(a uint32) bool { return ld8(a) != 0 }

// RegisterReputation creates the reputation store name and makes this detector its owner.
func RegisterReputation(name string, policy ConflictPolicy, priorities []SourcePriority) (*Writer, error) {
	if policy > PolicyPriority {
		return nil, &InvalidArgumentError{Message: "conflict policy out of range"}
	}
	h, err := call(16, 4, func(ret uint32) {
		// source-priority: source@0, priority@8; size 12, align 4.
		p := alloc(uint32(len(priorities))*12, 4)
		for i := range priorities {
			storeString(p+uint32(i)*12, priorities[i].Source)
			st32(p+uint32(i)*12+8, priorities[i].Priority)
		}
		importRegister(name, uint32(policy), p, uint32(len(priorities)), ret)
	}, liftHandle)
	if err != nil {
		return nil, err
	}
	return &Writer{handle: h}, nil
}

// OpenReputation returns a reader of reputation store name; ErrNotFound until it is registered.
func OpenReputation(name string) (*Reader, error) {
	h, err := call(16, 4, func(ret uint32) { importOpen(name, ret) }, liftHandle)
	if err != nil {
		return nil, err
	}
	return &Reader{handle: h}, nil
}

// Get returns the winning entry for ip (exact address, else the longest
// prefix containing it) under the store's conflict policy, with the
// source that wrote it. Ties go to the newest, then to the source name.
func (r *Reader) Get(ip string) (ReputationRecord, error) {
	return callRecords(func(ret uint32) { importReaderGet(r.handle, ip, ret) }, single[ReputationRecord])
}

// GetAll returns every source's entry for the matched key, in source
// order.
func (r *Reader) GetAll(ip string) (Records[ReputationRecord], error) {
	return callRecords(func(ret uint32) { importReaderGetAll(r.handle, ip, ret) }, NewRecords[ReputationRecord])
}

// IsBlacklisted reports whether the winning entry for ip is blacklisted.
func (r *Reader) IsBlacklisted(ip string) (bool, error) {
	return call(16, 4, func(ret uint32) { importReaderIsBlacklisted(r.handle, ip, ret) }, liftBool)
}

// ListSources names the sources that wrote to the store.
func (r *Reader) ListSources() []string {
	m := mark()
	defer release(m)
	ret := alloc(8, 4)
	gcPause()
	importReaderListSources(r.handle, ret)
	gcResume()
	return liftStrings(ret)
}

// Close gives the handle back to the host.
func (r *Reader) Close() {
	if r != nil && r.handle != 0 {
		importDropReader(r.handle)
		r.handle = 0
	}
}

// checkReputation refuses enum values the host would trap on.
func checkReputation(r *Reputation) error {
	if r.Status > ReputationBlacklisted {
		return &InvalidArgumentError{Message: "reputation status out of range"}
	}
	return nil
}

// Write stores entry under source.
func (w *Writer) Write(source string, entry Reputation) error {
	if err := checkReputation(&entry); err != nil {
		return err
	}
	_, err := call(16, 4, func(ret uint32) {
		tags := alloc(8, 4)
		storeStrings(tags, entry.Tags)
		importWriterWrite(w.handle, source, entry.IP, uint32(entry.Status), uint32(entry.Severity), ld32(tags), ld32(tags+4), entry.LastUpdated, ret)
	}, liftUnit)
	return err
}

// WriteBatch writes entries (at most 10,000) and returns how many were
// written; it stops at the first bad one.
func (w *Writer) WriteBatch(source string, entries []Reputation) (uint32, error) {
	for i := range entries {
		if err := checkReputation(&entries[i]); err != nil {
			return 0, err
		}
	}
	return call(16, 4, func(ret uint32) {
		p := alloc(uint32(len(entries))*reputationSize, 8)
		for i := range entries {
			storeReputation(p+uint32(i)*reputationSize, &entries[i])
		}
		importWriterWriteBatch(w.handle, source, p, uint32(len(entries)), ret)
	}, ld32)
}

// Delete removes source's entry for ip; true when one was removed.
func (w *Writer) Delete(source, ip string) (bool, error) {
	return call(16, 4, func(ret uint32) { importWriterDelete(w.handle, source, ip, ret) }, liftBool)
}

// Clear removes everything source wrote and returns the count.
func (w *Writer) Clear(source string) (uint32, error) {
	return call(16, 4, func(ret uint32) { importWriterClear(w.handle, source, ret) }, ld32)
}

// ListSources names the sources that wrote to the store.
func (w *Writer) ListSources() []string {
	m := mark()
	defer release(m)
	ret := alloc(8, 4)
	gcPause()
	importWriterListSources(w.handle, ret)
	gcResume()
	return liftStrings(ret)
}

// Reader returns a reader of the same store.
func (w *Writer) Reader() *Reader {
	return &Reader{handle: importWriterReader(w.handle)}
}

// Close gives the handle back to the host.
func (w *Writer) Close() {
	if w != nil && w.handle != 0 {
		importDropWriter(w.handle)
		w.handle = 0
	}
}

// LazyReader opens a store on first use, so a detector can start before
// the store's owner registered it.
type LazyReader struct {
	name   string
	reader *Reader
}

// NewLazyReader returns a reader of store name, not opened yet.
func NewLazyReader(name string) *LazyReader { return &LazyReader{name: name} }

// Get returns the reader, opening it if needed; nil while the store does
// not exist.
func (l *LazyReader) Get() *Reader {
	if l.reader == nil {
		if r, err := OpenReputation(l.name); err == nil {
			l.reader = r
		}
	}
	return l.reader
}
