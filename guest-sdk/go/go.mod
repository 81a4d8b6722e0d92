// The Go SDK for sandtrap detectors: hand-written canonical-ABI glue for the
// WIT world `detector` (see sandtrap/abi.go) and the helper API on top.
module example.invalid/sandtrap/guest-sdk/go

go 1.24
