//! Loading and attaching the eBPF programs, and draining their ring buffer.

use std::os::fd::AsFd;
use std::time::Duration;

use aya::maps::{HashMap as BpfHashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::{CgroupAttachMode, CgroupSkb, CgroupSkbAttachType, RawTracePoint};
use aya::{Ebpf, EbpfLoader};
use rustix::event::{PollFd, PollFlags, Timespec, poll};
use sandtrap_model::Event;

use crate::btf::{BtfError, Offsets, VMLINUX};
use crate::cgroups::CgroupPaths;
use crate::decode::{self, Clock, Decoded};

/// The programs, as built by the collector's build script.
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/sandtrap-ebpf"));

/// Why live collection could not start.
#[derive(Debug, thiserror::Error)]
pub enum CollectorError {
    /// The host was built with `AYA_BUILD_SKIP`.
    #[error("this build has no eBPF programs (built with AYA_BUILD_SKIP)")]
    NotBuilt,
    /// Offsets could not be resolved.
    #[error("kernel BTF: {0}")]
    Btf(#[from] BtfError),
    /// The kernel refused the object or a map.
    #[error("loading eBPF programs: {0}")]
    Load(String),
}

/// One hook and whether it is active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Program name and attach point.
    pub name: String,
    /// `None` when attached, else why not.
    pub error: Option<String>,
}

/// Counters of the collector.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveStats {
    /// Records read from the ring buffer.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Records refused by the decoder.
    pub malformed: u64,
    /// DNS payloads that were not a usable response.
    pub dns_unparsed: u64,
}

/// Options of [`Live::start`].
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// Trace only these thread groups and their descendants (tests and
    /// benchmarks); `None` traces everything but the host itself.
    pub follow: Option<Vec<u32>>,
    /// Attach the DNS program.
    pub dns: bool,
}

/// Attached programs and the ring buffer they write to.
pub struct Live {
    ebpf: Ebpf,
    ring: RingBuf<MapData>,
    hooks: Vec<Hook>,
    clock: Clock,
    cgroups: Option<CgroupPaths>,
    stats: LiveStats,
}

/// Wall time of boot, from the realtime and boottime clocks read together.
pub fn boot_time_ns() -> u64 {
    use rustix::time::{ClockId, clock_gettime};
    let ns = |t: Timespec| {
        (t.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(t.tv_nsec as u64)
    };
    let real = ns(clock_gettime(ClockId::Realtime));
    let boot = ns(clock_gettime(ClockId::Boottime));
    real.saturating_sub(boot)
}

impl Live {
    /// Loads the programs with offsets from the running kernel's BTF and
    /// attaches every hook it can. A hook the kernel refuses is reported in
    /// [`Live::hooks`]; the others run.
    pub fn start(opts: &LiveOptions) -> Result<Self, CollectorError> {
        if OBJECT.is_empty() {
            return Err(CollectorError::NotBuilt);
        }
        let btf = crate::btf::open(VMLINUX)?;
        let o = Offsets::from_btf(&btf)?;
        let host = std::process::id();
        let follow_only = u32::from(opts.follow.is_some());
        let globals: [(&str, u32); 14] = [
            ("HOST_TGID", host),
            ("FOLLOW_ONLY", follow_only),
            ("OFF_TASK_PID", o.task_pid),
            ("OFF_TASK_TGID", o.task_tgid),
            ("OFF_TASK_REAL_PARENT", o.task_real_parent),
            ("OFF_TASK_START_BOOTTIME", o.task_start_boottime),
            ("OFF_TASK_MM", o.task_mm),
            ("OFF_TASK_EXIT_CODE", o.task_exit_code),
            ("OFF_MM_ARG_START", o.mm_arg_start),
            ("OFF_MM_ARG_END", o.mm_arg_end),
            ("OFF_BPRM_FILENAME", o.bprm_filename),
            ("OFF_BPRM_FILE", o.bprm_file),
            ("OFF_FILE_DENTRY", o.file_dentry),
            ("OFF_DENTRY_NAME", o.dentry_name),
        ];
        let mut loader = EbpfLoader::new();
        for (name, value) in &globals {
            loader.override_global(name, value, true);
        }
        let mut ebpf = loader
            .load(OBJECT)
            .map_err(|e| CollectorError::Load(format!("{e:#}")))?;
        if let Some(tgids) = &opts.follow {
            let map = ebpf
                .map_mut("FOLLOW")
                .ok_or_else(|| CollectorError::Load("no FOLLOW map".into()))?;
            let mut follow: BpfHashMap<_, u32, u8> = BpfHashMap::try_from(map)
                .map_err(|e| CollectorError::Load(format!("FOLLOW: {e}")))?;
            for t in tgids {
                follow
                    .insert(t, 1, 0)
                    .map_err(|e| CollectorError::Load(format!("FOLLOW: {e}")))?;
            }
        }
        let mut hooks = Vec::new();
        for tp in [
            "sched_process_fork",
            "sched_process_exec",
            "sched_process_exit",
            "sys_enter",
            "cgroup_mkdir",
            "cgroup_rmdir",
        ] {
            // The programs read this many tracepoint arguments.
            let args = match tp {
                "sched_process_exec" => 3,
                "sched_process_exit" => 1,
                _ => 2,
            };
            let error = crate::btf::check_tracepoint(&btf, tp, args)
                .and_then(|()| attach_raw(&mut ebpf, tp))
                .err();
            hooks.push(Hook {
                name: format!("raw_tracepoint/{tp}"),
                error,
            });
        }
        let cgroups = CgroupPaths::from_machine();
        if opts.dns {
            let error = match &cgroups {
                Some(c) => attach_dns(&mut ebpf, c.root()).err(),
                None => Some("no cgroup v2 hierarchy is mounted".to_owned()),
            };
            hooks.push(Hook {
                name: "cgroup_skb/ingress (DNS)".into(),
                error,
            });
        }
        let ring = ebpf
            .take_map("EVENTS")
            .ok_or_else(|| CollectorError::Load("no EVENTS map".into()))
            .and_then(|m| {
                RingBuf::try_from(m).map_err(|e| CollectorError::Load(format!("EVENTS: {e}")))
            })?;
        Ok(Self {
            ebpf,
            ring,
            hooks,
            clock: Clock {
                boot_time_ns: boot_time_ns(),
            },
            cgroups: cgroups.map(|mut c| {
                c.scan();
                c
            }),
            stats: LiveStats::default(),
        })
    }

    /// Every hook with its state.
    pub fn hooks(&self) -> &[Hook] {
        &self.hooks
    }

    /// Counters so far.
    pub fn stats(&self) -> &LiveStats {
        &self.stats
    }

    /// Starts following `tgid` (follow mode only).
    pub fn follow(&mut self, tgid: u32) -> Result<(), CollectorError> {
        let map = self
            .ebpf
            .map_mut("FOLLOW")
            .ok_or_else(|| CollectorError::Load("no FOLLOW map".into()))?;
        let mut follow: BpfHashMap<_, u32, u8> =
            BpfHashMap::try_from(map).map_err(|e| CollectorError::Load(format!("FOLLOW: {e}")))?;
        follow
            .insert(tgid, 1, 0)
            .map_err(|e| CollectorError::Load(format!("FOLLOW: {e}")))
    }

    /// Records the kernel could not fit in the ring buffer, over all CPUs.
    pub fn kernel_dropped(&self) -> u64 {
        let Some(map) = self.ebpf.map("DROPPED") else {
            return 0;
        };
        let Ok(array) = PerCpuArray::<_, u64>::try_from(map) else {
            return 0;
        };
        array.get(&0, 0).map(|v| v.iter().sum()).unwrap_or(0)
    }

    /// Waits up to `timeout` for records, then hands every decoded event to
    /// `out`. Returns how many events were produced.
    pub fn poll(&mut self, timeout: Duration, out: &mut dyn FnMut(Event)) -> usize {
        let mut produced = self.drain(out);
        if produced == 0 {
            let ts = Timespec {
                tv_sec: timeout.as_secs() as i64,
                tv_nsec: i64::from(timeout.subsec_nanos()),
            };
            let fd = self.ring.as_fd();
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            let _ = poll(&mut fds, Some(&ts));
            produced = self.drain(out);
        }
        produced
    }

    fn drain(&mut self, out: &mut dyn FnMut(Event)) -> usize {
        let mut n = 0;
        while let Some(item) = self.ring.next() {
            self.stats.records += 1;
            let decoded = decode::decode(&item, self.clock);
            drop(item);
            let mut ev = match decoded {
                Ok(Decoded::Event(ev)) => ev,
                Ok(Decoded::Dns {
                    boot_ns, payload, ..
                }) => {
                    match crate::dns::response_event(&payload, self.clock.boot_time_ns + boot_ns) {
                        Ok(ev) => ev,
                        Err(e) => {
                            self.stats.dns_unparsed += 1;
                            tracing::debug!("DNS payload skipped: {e}");
                            continue;
                        }
                    }
                }
                Err(e) => {
                    self.stats.malformed += 1;
                    tracing::debug!("ring-buffer record skipped: {e}");
                    continue;
                }
            };
            if let Some(c) = &mut self.cgroups
                && ev.process.cgroup.is_empty()
                && let Some(path) = c.path(ev.process.cgroup_id)
            {
                ev.process.cgroup = path.to_owned();
            }
            self.stats.events += 1;
            n += 1;
            out(ev);
        }
        n
    }
}

fn attach_raw(ebpf: &mut Ebpf, tp: &str) -> Result<(), String> {
    let prog: &mut RawTracePoint = ebpf
        .program_mut(tp)
        .ok_or("program missing from the object")?
        .try_into()
        .map_err(|e| format!("{e}"))?;
    prog.load().map_err(|e| format!("{e:#}"))?;
    prog.attach(tp).map_err(|e| format!("{e:#}"))?;
    Ok(())
}

fn attach_dns(ebpf: &mut Ebpf, root: &std::path::Path) -> Result<(), String> {
    let cgroup = std::fs::File::open(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let prog: &mut CgroupSkb = ebpf
        .program_mut("dns_ingress")
        .ok_or("program missing from the object")?
        .try_into()
        .map_err(|e| format!("{e}"))?;
    prog.load().map_err(|e| format!("{e:#}"))?;
    prog.attach(
        &cgroup,
        CgroupSkbAttachType::Ingress,
        CgroupAttachMode::Single,
    )
    .map_err(|e| format!("{e:#}"))?;
    Ok(())
}
