// The core-wasm signatures of the imported interfaces, as the canonical
// ABI flattens them (checked against `wasm-tools component embed --dummy
// wit --world detector`). A trailing `ret` is the guest-allocated return
// area for results that do not fit in one core value.

//go:build wasip1

package sandtrap

//go:wasmimport sandtrap:detector/host@0.4.0 log
func importLog(level uint32, message string)

//go:wasmimport sandtrap:detector/host@0.4.0 now
func importNow() uint64

// list<u8> flattens to (ptr, len); the host copies it during the call.
//
//go:wasmimport sandtrap:detector/host@0.4.0 report
func importReport(ptr, n uint32)

//go:wasmimport sandtrap:detector/registry@0.4.0 list-stores
func importListStores(ret uint32)

//go:wasmimport sandtrap:detector/registry@0.4.0 is-available
func importIsAvailable(name string) uint32

//go:wasmimport sandtrap:detector/registry@0.4.0 get-metadata
func importGetMetadata(name string, ret uint32)

//go:wasmimport sandtrap:detector/registry@0.4.0 get-health
func importGetHealth(name string, ret uint32)

//go:wasmimport sandtrap:detector/registry@0.4.0 get-metrics
func importGetMetrics(name string, ret uint32)

//go:wasmimport sandtrap:detector/processes@0.4.0 get-process
func importGetProcess(entityID uint64, ret uint32)

//go:wasmimport sandtrap:detector/processes@0.4.0 get-child-processes
func importGetChildProcesses(entityID uint64, ret uint32)

//go:wasmimport sandtrap:detector/processes@0.4.0 get-ancestry
func importGetAncestry(entityID uint64, maxDepth uint32, ret uint32)

//go:wasmimport sandtrap:detector/containers@0.4.0 get-container
func importGetContainer(id string, ret uint32)

//go:wasmimport sandtrap:detector/containers@0.4.0 get-container-by-name
func importGetContainerByName(name string, ret uint32)

// option<container-filter> flattens to 10 values: the option's
// discriminant, then (discriminant, ptr, len) for each option<string>.
//
//go:wasmimport sandtrap:detector/containers@0.4.0 list-containers
func importListContainers(isSome, nameSome, namePtr, nameLen, imageSome, imagePtr, imageLen, runtimeSome, runtimePtr, runtimeLen, ret uint32)

//go:wasmimport sandtrap:detector/system@0.4.0 get-system-info
func importGetSystemInfo(ret uint32)

//go:wasmimport sandtrap:detector/syscalls@0.4.0 get-syscall-name
func importGetSyscallName(id int32, ret uint32)

//go:wasmimport sandtrap:detector/syscalls@0.4.0 get-syscall-id
func importGetSyscallID(name string, ret uint32)

//go:wasmimport sandtrap:detector/kernel-symbols@0.4.0 resolve-symbol-by-address
func importResolveSymbolByAddress(address uint64, ret uint32)

//go:wasmimport sandtrap:detector/kernel-symbols@0.4.0 get-symbol-address
func importGetSymbolAddress(name string, ret uint32)

//go:wasmimport sandtrap:detector/kernel-symbols@0.4.0 resolve-symbols-batch
func importResolveSymbolsBatch(ptr, n, ret uint32)

//go:wasmimport sandtrap:detector/dns@0.4.0 get-dns-response
func importGetDNSResponse(query string, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]reader.get
func importReaderGet(self uint32, ip string, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]reader.get-all
func importReaderGetAll(self uint32, ip string, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]reader.is-blacklisted
func importReaderIsBlacklisted(self uint32, ip string, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]reader.list-sources
func importReaderListSources(self uint32, ret uint32)

// The reputation record flattens to ip (ptr, len), status, severity,
// tags (ptr, len), last-updated.
//
//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]writer.write
func importWriterWrite(self uint32, source string, ip string, status, severity, tagsPtr, tagsLen uint32, lastUpdated uint64, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]writer.write-batch
func importWriterWriteBatch(self uint32, source string, ptr, n, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]writer.delete
func importWriterDelete(self uint32, source string, ip string, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]writer.clear
func importWriterClear(self uint32, source string, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]writer.list-sources
func importWriterListSources(self uint32, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [method]writer.reader
func importWriterReader(self uint32) uint32

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 register
func importRegister(name string, policy, ptr, n, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 open
func importOpen(name string, ret uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [resource-drop]reader
func importDropReader(handle uint32)

//go:wasmimport sandtrap:detector/ip-reputation@0.4.0 [resource-drop]writer
func importDropWriter(handle uint32)
