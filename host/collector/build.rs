//! Builds the eBPF programs in `ebpf/programs` with the nightly toolchain
//! and bpf-linker (see `./dev setup`), so one `cargo build` produces the
//! host and its kernel side. `AYA_BUILD_SKIP=1` builds the host without
//! them; the collector then reports that live collection is unavailable.

fn main() -> aya_build::Result<()> {
    let dir = std::env::var("CARGO_MANIFEST_DIR")?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    let object = out.join("sandtrap-ebpf");
    if !object.exists() {
        std::fs::write(&object, [])?;
    }
    let programs = format!("{dir}/../../ebpf/programs");
    println!("cargo:rerun-if-changed={dir}/../../ebpf/common");
    aya_build::build_ebpf(
        [aya_build::Package {
            name: "sandtrap-ebpf",
            root_dir: &programs,
            ..Default::default()
        }],
        aya_build::Toolchain::default(),
    )
}
