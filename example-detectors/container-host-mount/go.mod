// The container-host-mount detector (Go); built by build.sh.
module example.invalid/sandtrap/example-detectors/container-host-mount

go 1.24

require example.invalid/sandtrap/guest-sdk/go v0.0.0

replace example.invalid/sandtrap/guest-sdk/go => ../../guest-sdk/go
