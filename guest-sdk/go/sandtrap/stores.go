// The host's stores as plain Go functions returning (value, error). A
// missing record is ErrNotFound, an ordinary answer; test with errors.Is.

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

// process-info: size 88, align 8.
const processInfoSize = 88

func liftProcessInfo(a uint32) ProcessInfo {
	p := ProcessInfo{
		EntityID:       ld64(a),
		ParentEntityID: ld64(a + 8),
		PID:            ld32(a + 16),
		PPID:           ld32(a + 20),
		Name:           liftString(a + 24),
		Exe:            liftString(a + 32),
		Argv:           liftStrings(a + 40),
		StartTime:      ld64(a + 48),
		UID:            ld32(a + 56),
		GID:            ld32(a + 60),
		ContainerID:    liftString(a + 64),
	}
	if ld8(a+72) != 0 {
		t := ld64(a + 80)
		p.ExitTime = &t
	}
	return p
}

// container-info: id@0, name@8, image@16, image-digest@24, runtime@32,
// start-time@40, pod option@48 (pod-info@52: name, uid, namespace,
// sandbox@76); size 80, align 8.
const containerInfoSize = 80

func liftContainerInfo(a uint32) ContainerInfo {
	c := ContainerInfo{
		ID:          liftString(a),
		Name:        liftString(a + 8),
		Image:       liftString(a + 16),
		ImageDigest: liftString(a + 24),
		Runtime:     liftString(a + 32),
		StartTime:   ld64(a + 40),
	}
	if ld8(a+48) != 0 {
		c.Pod = &PodInfo{
			Name:      liftString(a + 52),
			UID:       liftString(a + 60),
			Namespace: liftString(a + 68),
			Sandbox:   ld8(a+76) != 0,
		}
	}
	return c
}

func liftProcessList(a uint32) []ProcessInfo {
	return liftList(a, processInfoSize, liftProcessInfo)
}

func liftContainerList(a uint32) []ContainerInfo {
	return liftList(a, containerInfoSize, liftContainerInfo)
}

// GetProcess returns the process with this entity id.
func GetProcess(entityID uint64) (ProcessInfo, error) {
	return call(96, 8, func(ret uint32) { importGetProcess(entityID, ret) }, liftProcessInfo)
}

// GetChildProcesses returns the direct children, empty when there are none.
func GetChildProcesses(entityID uint64) ([]ProcessInfo, error) {
	return call(16, 4, func(ret uint32) { importGetChildProcesses(entityID, ret) }, liftProcessList)
}

// GetAncestry returns [0] the process itself, [1] its parent, and so on,
// up to maxDepth entries (capped at 64 by the host).
func GetAncestry(entityID uint64, maxDepth uint32) ([]ProcessInfo, error) {
	return call(16, 4, func(ret uint32) { importGetAncestry(entityID, maxDepth, ret) }, liftProcessList)
}

// GetContainer looks a container up by full id or a unique prefix of at
// least 12 characters.
func GetContainer(id string) (ContainerInfo, error) {
	return call(88, 8, func(ret uint32) { importGetContainer(id, ret) }, liftContainerInfo)
}

// GetContainerByName looks a container up by name.
func GetContainerByName(name string) (ContainerInfo, error) {
	return call(88, 8, func(ret uint32) { importGetContainerByName(name, ret) }, liftContainerInfo)
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
func ListContainers(filter *ContainerFilter) ([]ContainerInfo, error) {
	return call(16, 4, func(ret uint32) {
		if filter == nil {
			importListContainers(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ret)
			return
		}
		ns, np, nl := optString(filter.Name)
		is, ip, il := optString(filter.Image)
		rs, rp, rl := optString(filter.Runtime)
		importListContainers(1, ns, np, nl, is, ip, il, rs, rp, rl, ret)
	}, liftContainerList)
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

// symbol-info: name@0, address@8, module@16; size 24, align 8.
func liftSymbolInfo(a uint32) SymbolInfo {
	return SymbolInfo{Name: liftString(a), Address: ld64(a + 8), Module: liftString(a + 16)}
}

// ResolveSymbolByAddress returns the symbol(s) whose code contains address.
func ResolveSymbolByAddress(address uint64) ([]SymbolInfo, error) {
	return call(16, 4, func(ret uint32) { importResolveSymbolByAddress(address, ret) }, func(a uint32) []SymbolInfo {
		return liftList(a, 24, liftSymbolInfo)
	})
}

// GetSymbolAddress returns the address of a named kernel symbol.
func GetSymbolAddress(name string) (uint64, error) {
	return call(24, 8, func(ret uint32) { importGetSymbolAddress(name, ret) }, ld64)
}

// ResolveSymbolsBatch resolves up to 4096 addresses; only those that
// resolved appear in the answer.
func ResolveSymbolsBatch(addresses []uint64) ([]ResolvedSymbols, error) {
	return call(16, 4, func(ret uint32) {
		p := alloc(uint32(len(addresses))*8, 8)
		for i, v := range addresses {
			st64(p+uint32(i)*8, v)
		}
		importResolveSymbolsBatch(p, uint32(len(addresses)), ret)
	}, func(a uint32) []ResolvedSymbols {
		return liftList(a, 16, func(e uint32) ResolvedSymbols {
			return ResolvedSymbols{Address: ld64(e), Symbols: liftList(e+8, 24, liftSymbolInfo)}
		})
	})
}

// GetDNSResponse answers for a domain (its addresses and CNAME chain) or an
// IP address (the names that resolved to it).
func GetDNSResponse(query string) (DNSResponse, error) {
	// dns-response: query@0, ips@8, domains@16; size 24, align 4.
	return call(28, 4, func(ret uint32) { importGetDNSResponse(query, ret) }, func(a uint32) DNSResponse {
		return DNSResponse{Query: liftString(a), IPs: liftStrings(a + 8), Domains: liftStrings(a + 16)}
	})
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
