// The SDK's ABI test detector; see main.go.
module example.invalid/sandtrap/guest-sdk/go/testdata/echo

go 1.24

require example.invalid/sandtrap/guest-sdk/go v0.0.0

replace example.invalid/sandtrap/guest-sdk/go => ../..
