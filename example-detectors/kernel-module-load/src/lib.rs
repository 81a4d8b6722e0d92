//! Kernel module loading: `init_module` or `finit_module`. A module runs
//! with the kernel's full privileges, which is how rootkits such as
//! Diamorphine or Reptile get in (Tracee TRC-1017).
//!
//! Modules are also loaded at boot and on hotplug, by `modprobe`, `insmod`
//! or in-process by `systemd-udevd` through libkmod, so a load is reported
//! at medium severity with the chain of processes that asked for it, and
//! raised when it looks like an attack:
//!
//! - **critical** from inside a container, which has no business loading
//!   code into the host's kernel (it needs `CAP_SYS_MODULE`);
//! - **high** when the caller is not one of the usual loaders (a dropper
//!   calling the syscall itself), or when `finit_module` forces the load
//!   past the version checks (`insmod -f`: `MODULE_INIT_IGNORE_MODVERSIONS`
//!   or `MODULE_INIT_IGNORE_VERMAGIC`).

use sandtrap_sdk::prelude::*;

const LOADERS: [&str; 5] = [
    "modprobe",
    "insmod",
    "kmod",
    "systemd-udevd",
    "systemd-modules-load",
];
/// MODULE_INIT_IGNORE_MODVERSIONS | MODULE_INIT_IGNORE_VERMAGIC.
const FORCE_FLAGS: u64 = 0x1 | 0x2;

struct KernelModuleLoad;

impl Detector for KernelModuleLoad {
    fn describe() -> Description {
        describe("kernel-module-load", "Kernel module load", "0.1.0")
            .description("A process loaded a kernel module.")
            .selector(select("init_module"))
            .selector(select("finit_module"))
            .requires("process")
            .finding(
                finding("kernel_module_loaded", Severity::Medium)
                    .description("Code was loaded into the kernel as a module")
                    .mitre("Persistence", "T1547.006")
                    .fields(&[
                        "syscall",
                        "loader",
                        "known_loader",
                        "forced",
                        "param_values",
                        "ancestry",
                    ]),
            )
            .build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(KernelModuleLoad)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let forced = match ev.name() {
            "init_module" => false,
            "finit_module" => ev.arg_u64("flags").unwrap_or(0) & FORCE_FLAGS != 0,
            _ => return Ok(vec![]),
        };
        let chain = match stores::get_ancestry(ev.process().entity_id(), 6) {
            Ok(chain) => chain,
            Err(StoreError::NotFound) => Default::default(),
            Err(e) => return Err(format!("process store: {e:?}")),
        };
        // [0] is the caller; the exe there is the one the tree knows, since
        // live syscall events carry none.
        let (loader, known_loader) = match chain.first() {
            Some(p) => (p.exe(), LOADERS.iter().any(|l| p.is(l))),
            None => (ev.process().exe(), LOADERS.contains(&ev.process().comm())),
        };
        let loader = if loader.is_empty() {
            ev.process().comm()
        } else {
            loader
        };
        let ancestry: Vec<String> = chain
            .iter()
            .skip(1)
            .map(|p| format!("{}({})", p.name(), p.pid()))
            .collect();
        let severity = if !ev.process().container_id().is_empty() {
            Severity::Critical
        } else if forced || !known_loader {
            Severity::High
        } else {
            Severity::Medium
        };
        Ok(vec![
            Detection::new()
                .field("syscall", ev.name())
                .field("loader", loader)
                .field("known_loader", known_loader)
                .field("forced", forced)
                .field("param_values", ev.arg_str("param_values").unwrap_or(""))
                .field("ancestry", ancestry)
                .severity(severity),
        ])
    }
}

export_detector!(KernelModuleLoad);
