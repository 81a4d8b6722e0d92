// The host's stores as plain Go functions returning (value, error). A
// missing record is ErrNotFound, an ordinary answer; test with errors.Is.
// Answers made of records (processes, containers, DNS, kernel symbols)
// are views read in place (records.go); the introspection records
// (system, registry) and scalars are lifted into Go values.

//go:build wasip1

package sandtrap

import (
	"errors"
	"unsafe"
)

// The sentinel errors of the store API (WIT variant `store-error`).
var (
	// ErrNotFound: the entity does not exist (or is no longer known).
	ErrNotFound = errors.New("not found")
	// ErrStoreUnhealthy: the store is missing, disabled or degraded.
	ErrStoreUnhealthy = errors.New("store unhealthy")
	// ErrNotImplemented: the store does not support this operation.
	ErrNotImplemented = errors.New("not implemented")
	// ErrInvalidArgument: an argument is malformed; the error returned is
	// an *InvalidArgumentError carrying the host's text.
	ErrInvalidArgument = errors.New("invalid argument")
)

// InvalidArgumentError is the `invalid-argument` case, with the host's
// explanation. errors.Is(err, ErrInvalidArgument) holds for it.
type InvalidArgumentError struct{ Message string }

func (e *InvalidArgumentError) Error() string { return "invalid argument: " + e.Message }

// Is makes errors.Is(err, ErrInvalidArgument) true.
func (e *InvalidArgumentError) Is(target error) bool { return target == ErrInvalidArgument }

// store-error: discriminant@0, invalid-argument's string@4; size 12.
func liftStoreError(a uint32) error {
	switch ld8(a) {
	case 0:
		return ErrNotFound
	case 1:
		return ErrStoreUnhealthy
	case 2:
		return ErrNotImplemented
	case 3:
		return &InvalidArgumentError{Message: liftString(a + 4)}
	}
	return ErrStoreUnhealthy
}

// call runs an import whose result is result<T, store-error> in a return
// area of size bytes, with both payloads at off, and lifts the answer.
// Whatever the host allocated for it is released once copied. The
// collector is paused for the call: the host allocates the answer's
// strings and lists through cabi_realloc (see gcPause).
func call[T any](size, off uint32, invoke func(ret uint32), lift func(uint32) T) (T, error) {
	m := mark()
	defer release(m)
	ret := alloc(size, 8)
	gcPause()
	invoke(ret)
	gcResume()
	if ld8(ret) == 0 {
		return lift(ret + off), nil
	}
	var zero T
	return zero, liftStoreError(ret + off)
}

// callRecords runs an import that answers result<records,
// store-error> (one list<u8>: disc@0, list or error@4; size 16, align 4)
// and hands the answer to view in place: the bytes stay in the buffer
// the host filled through cabi_realloc, and the views made from them
// keep it alive. One allocation per answer, whatever it holds, and a
// field is decoded only when the detector reads it (records.go).
func callRecords[T any](invoke func(ret uint32), view func([]byte) T) (T, error) {
	return call(16, 4, invoke, func(a uint32) T { return view(liftBytesInPlace(a)) })
}

// GetProcess returns the process with this entity id.
func GetProcess(entityID uint64) (ProcessInfo, error) {
	return callRecords(func(ret uint32) { importGetProcess(entityID, ret) }, single[ProcessInfo])
}

// GetChildProcesses returns the direct children, empty when there are none.
func GetChildProcesses(entityID uint64) (Records[ProcessInfo], error) {
	return callRecords(func(ret uint32) { importGetChildProcesses(entityID, ret) }, NewRecords[ProcessInfo])
}

// GetAncestry returns [0] the process itself, [1] its parent, and so on,
// up to maxDepth records (capped at 64 by the host); it stops at a
// missing parent or a loop.
func GetAncestry(entityID uint64, maxDepth uint32) (Records[ProcessInfo], error) {
	return callRecords(func(ret uint32) { importGetAncestry(entityID, maxDepth, ret) }, NewRecords[ProcessInfo])
}

// GetContainer looks a container up by full id or a unique prefix of at
// least 12 characters.
func GetContainer(id string) (ContainerInfo, error) {
	return callRecords(func(ret uint32) { importGetContainer(id, ret) }, single[ContainerInfo])
}

// GetContainerByName looks a container up by name.
func GetContainerByName(name string) (ContainerInfo, error) {
	return callRecords(func(ret uint32) { importGetContainerByName(name, ret) }, single[ContainerInfo])
}

// optString flattens an option<string> into (discriminant, ptr, len),
// with the bytes copied into the arena so they outlive the caller's value
// for the whole call.
func optString(s *string) (uint32, uint32, uint32) {
	if s == nil {
		return 0, 0, 0
	}
	p := alloc(uint32(len(*s)), 1)
	copy(unsafe.Slice((*byte)(mem(p)), len(*s)), *s)
	return 1, p, uint32(len(*s))
}

// ListContainers returns the running containers matching every set field
// of filter; nil lists them all.
func ListContainers(filter *ContainerFilter) (Records[ContainerInfo], error) {
	return callRecords(func(ret uint32) {
		if filter == nil {
			importListContainers(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ret)
			return
		}
		ns, np, nl := optString(filter.Name)
		is, ip, il := optString(filter.Image)
		rs, rp, rl := optString(filter.Runtime)
		importListContainers(1, ns, np, nl, is, ip, il, rs, rp, rl, ret)
	}, NewRecords[ContainerInfo])
}

// system-info: size 80, align 8; namespace-id: kind@0, inode@8, size 12.
func liftSystemInfo(a uint32) SystemInfo {
	return SystemInfo{
		Architecture:  liftString(a),
		KernelRelease: liftString(a + 8),
		Hostname:      liftString(a + 16),
		BootTime:      ld64(a + 24),
		HostStartTime: ld64(a + 32),
		OSName:        liftString(a + 40),
		OSVersion:     liftString(a + 48),
		OSPrettyName:  liftString(a + 56),
		HostVersion:   liftString(a + 64),
		InitNamespaces: liftList(a+72, 12, func(e uint32) NamespaceID {
			return NamespaceID{Kind: liftString(e), Inode: ld32(e + 8)}
		}),
	}
}

// GetSystemInfo returns facts about the machine and the host.
func GetSystemInfo() (SystemInfo, error) {
	return call(88, 8, importGetSystemInfo, liftSystemInfo)
}

// GetSyscallName names a syscall number of the host's architecture.
func GetSyscallName(id int32) (string, error) {
	return call(16, 4, func(ret uint32) { importGetSyscallName(id, ret) }, liftString)
}

// GetSyscallID returns the number of a named syscall.
func GetSyscallID(name string) (int32, error) {
	return call(16, 4, func(ret uint32) { importGetSyscallID(name, ret) }, func(a uint32) int32 { return int32(ld32(a)) })
}

// ResolveSymbolByAddress returns every alias of the symbol whose code
// contains address; each record's Query is address.
func ResolveSymbolByAddress(address uint64) (Records[SymbolInfo], error) {
	return callRecords(func(ret uint32) { importResolveSymbolByAddress(address, ret) }, NewRecords[SymbolInfo])
}

// GetSymbolAddress returns the address of a named kernel symbol.
func GetSymbolAddress(name string) (uint64, error) {
	return call(24, 8, func(ret uint32) { importGetSymbolAddress(name, ret) }, ld64)
}

// ResolveSymbolsBatch resolves up to 4096 addresses in one call. The
// answer is flat: for each address that resolved, in the order asked, its
// aliases, each record's Query saying which address it answers; an
// address that did not resolve has no record.
func ResolveSymbolsBatch(addresses []uint64) (Records[SymbolInfo], error) {
	return callRecords(func(ret uint32) {
		p := alloc(uint32(len(addresses))*8, 8)
		for i, v := range addresses {
			st64(p+uint32(i)*8, v)
		}
		importResolveSymbolsBatch(p, uint32(len(addresses)), ret)
	}, NewRecords[SymbolInfo])
}

// GetDNSResponse answers for a domain (its addresses and CNAME chain) or an
// IP address (the names that resolved to it). Expired answers are not
// returned.
func GetDNSResponse(query string) (DNSResponse, error) {
	return callRecords(func(ret uint32) { importGetDNSResponse(query, ret) }, single[DNSResponse])
}

// ListStores names the stores: built-in ones, then writable stores.
func ListStores() []string {
	m := mark()
	defer release(m)
	ret := alloc(8, 4)
	gcPause()
	importListStores(ret)
	gcResume()
	return liftStrings(ret)
}

// IsAvailable reports whether a store exists and is usable.
func IsAvailable(name string) bool {
	return importIsAvailable(name) != 0
}

// GetMetadata describes a store.
func GetMetadata(name string) (StoreMetadata, error) {
	// store-metadata: name@0, description@8, version@16, writable@20,
	// owner option<string>@24 (string@28); size 36, align 4.
	return call(40, 4, func(ret uint32) { importGetMetadata(name, ret) }, func(a uint32) StoreMetadata {
		md := StoreMetadata{
			Name:        liftString(a),
			Description: liftString(a + 8),
			Version:     ld32(a + 16),
			Writable:    ld8(a+20) != 0,
		}
		if ld8(a+24) != 0 {
			owner := liftString(a + 28)
			md.Owner = &owner
		}
		return md
	})
}

// GetHealth returns a store's health.
func GetHealth(name string) (HealthInfo, error) {
	// health-info: status@0, message@4, last-check@16; size 24, align 8.
	return call(32, 8, func(ret uint32) { importGetHealth(name, ret) }, func(a uint32) HealthInfo {
		return HealthInfo{Status: HealthStatus(ld8(a)), Message: liftString(a + 4), LastCheck: ld64(a + 16)}
	})
}

// GetMetrics returns a store's counters.
func GetMetrics(name string) (StoreMetrics, error) {
	return call(56, 8, func(ret uint32) { importGetMetrics(name, ret) }, func(a uint32) StoreMetrics {
		return StoreMetrics{
			ItemCount:    int64(ld64(a)),
			SuccessCount: ld64(a + 8),
			ErrorCount:   ld64(a + 16),
			CacheHits:    ld64(a + 24),
			CacheMisses:  ld64(a + 32),
			LastAccess:   ld64(a + 40),
		}
	})
}
