// Package sandtrap writes sandtrap detectors in Go.
//
// A detector implements [Detector] and registers itself from an init
// function; the module is built with
// `GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared` and turned into a
// component by guest-sdk/go/build.sh. The package carries its own
// canonical-ABI glue (abi.go, exports.go, imports.go), so no generated
// bindings are needed.
//
// Events arrive in batches, one flat buffer per call
// (docs/wire-encoding.md); an [Event] reads its fields from that buffer
// when its accessors are called. Store answers made of records arrive the
// same way: [GetProcess] and the like return views ([ProcessInfo],
// [Records]) that decode a field when its method is called.
// What OnEvent returns goes back the same way: the SDK encodes every
// detection and error of a batch into one buffer and reports it to the
// host once, at the end of the batch.
//
// The glue and the store functions build for GOOS=wasip1 only; the event
// and answer decoders, the Detector loop, Config and the builders are
// plain Go and build natively too, which is how the SDK's own tests run
// (test.sh).
//
//	package main
//
//	import "example.invalid/sandtrap/guest-sdk/go/sandtrap"
//
//	type hello struct{}
//
//	func (hello) Describe() sandtrap.Description {
//		return sandtrap.Describe("hello", "Hello", "0.1.0").
//			Selector(sandtrap.Select("sched_process_exec")).
//			Finding(sandtrap.Finding("hello", sandtrap.SeverityInfo).Fields("comm")).
//			Build()
//	}
//	func (hello) Init(sandtrap.Config) error { return nil }
//	func (hello) OnEvent(ev *sandtrap.Event) ([]sandtrap.Detection, error) {
//		return []sandtrap.Detection{sandtrap.NewDetection().Str("comm", ev.Process.Comm())}, nil
//	}
//	func (hello) Close() {}
//
//	func init() { sandtrap.Register(hello{}) }
//
//	func main() {}
package sandtrap

// ContractVersion is the version of the WIT contract this SDK speaks.
const ContractVersion = "0.4.0"
