//! Feeding events into the stores: lifecycle events change them, every event fills its ids.

use std::sync::atomic::Ordering;

use sandtrap_model::{ContainerInfo, Event, PodInfo, Runtime, Value};

use crate::cgroup;
use crate::containers::normalize_id;
use crate::process::ExecUpdate;
use crate::stores::Stores;

/// Longest cgroup path the parser looks at (PATH_MAX).
const MAX_CGROUP: usize = 4096;

impl Stores {
    /// Updates the stores from `ev` and fills its `entity_id`,
    /// `parent_entity_id` and `container_id` when they are empty.
    ///
    /// Runs before any detector sees the event, so a detector looking up
    /// the process of an exec finds the new image. Never fails: input it
    /// cannot use is counted in [`Stores::rejected`] and logged at debug.
    pub fn apply(&self, ev: &mut Event) {
        self.fill_container(ev);
        self.processes.observe(&mut ev.process);
        match ev.name.as_str() {
            "sched_process_fork" => self.on_fork(ev),
            "sched_process_exec" => self.on_exec(ev),
            "sched_process_exit" => self.on_exit(ev),
            "container_create" => self.on_container_create(ev),
            "container_remove" => match ev.arg_str("id").and_then(normalize_id) {
                Some(id) => {
                    self.containers.remove(&id);
                }
                None => self.reject(ev, "container_remove without a valid id"),
            },
            "cgroup_mkdir" | "cgroup_rmdir" => self.on_cgroup(ev),
            "dns_response" => match ev.arg("answers") {
                Some(Value::StrList(answers)) => {
                    let bad = self.dns.record_response(ev.timestamp, answers);
                    self.rejected.fetch_add(bad as u64, Ordering::Relaxed);
                }
                _ => self.reject(ev, "dns_response without an answers list"),
            },
            _ => {}
        }
    }

    fn reject(&self, ev: &Event, reason: &str) {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(event = %ev.name, seq = ev.seq, reason, "event input rejected");
    }

    fn fill_container(&self, ev: &mut Event) {
        let p = &mut ev.process;
        if !p.container_id.is_empty() || p.cgroup.is_empty() {
            return;
        }
        if p.cgroup.len() > MAX_CGROUP {
            self.rejected.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(event = %ev.name, seq = ev.seq, "cgroup path too long");
            return;
        }
        if let Some(m) = cgroup::parse(&p.cgroup) {
            self.containers.ensure(&m.id, m.runtime, 0);
            p.container_id = m.id;
        }
    }

    fn on_fork(&self, ev: &Event) {
        let Some(child_pid) = ev
            .arg_u64("child_pid")
            .and_then(|p| u32::try_from(p).ok())
            .filter(|&p| p != 0)
        else {
            return self.reject(ev, "fork without a valid child_pid");
        };
        if ev
            .arg_u64("child_tid")
            .is_some_and(|t| t != u64::from(child_pid))
        {
            return; // a new thread, not a new process
        }
        if ev.process.entity_id == 0 {
            return self.reject(ev, "fork without a parent process");
        }
        let ticks = ev.arg_u64("child_start_ticks").unwrap_or(0);
        self.processes.fork(ev.process.entity_id, child_pid, ticks);
    }

    fn on_exec(&self, ev: &Event) {
        let path = ev.arg_str("pathname").or_else(|| ev.arg_str("filename"));
        let argv = match ev.arg("argv") {
            Some(Value::StrList(v)) => Some(v.as_slice()),
            _ => None,
        };
        if path.is_none() || ev.process.entity_id == 0 {
            return self.reject(ev, "exec without pathname or process");
        }
        let up = ExecUpdate {
            path,
            argv,
            uid: ev.process.uid,
            gid: ev.process.gid,
        };
        self.processes.exec(ev.process.entity_id, &up);
    }

    fn on_exit(&self, ev: &Event) {
        let p = &ev.process;
        let leader = p.tid == 0 || p.tid == p.pid || arg_bool(ev, "process_group_exit");
        if leader && p.entity_id != 0 {
            self.processes.exit(p.entity_id, ev.timestamp);
        }
    }

    fn on_container_create(&self, ev: &Event) {
        let Some(id) = ev.arg_str("id") else {
            return self.reject(ev, "container_create without id");
        };
        let runtime = match ev.arg_str("runtime") {
            None | Some("") => None,
            Some(r) => match parse_runtime(r) {
                Some(rt) => Some(rt),
                None => return self.reject(ev, "container_create with unknown runtime"),
            },
        };
        let ok = self.containers.update_with(id, |c: &mut ContainerInfo| {
            if let Some(rt) = runtime {
                c.runtime = rt.as_str().to_owned();
            }
            for (field, arg) in [
                (&mut c.name, "name"),
                (&mut c.image, "image"),
                (&mut c.image_digest, "image_digest"),
            ] {
                if let Some(v) = ev.arg_str(arg) {
                    *field = v.to_owned();
                }
            }
            if let Some(t) = ev.arg_u64("start_time") {
                c.start_time = t;
            }
            let pod_args = ["pod_name", "pod_namespace", "pod_uid", "pod_sandbox"];
            if pod_args.iter().any(|a| ev.arg(a).is_some()) {
                let pod = c.pod.get_or_insert_with(PodInfo::default);
                for (field, arg) in [
                    (&mut pod.name, "pod_name"),
                    (&mut pod.namespace, "pod_namespace"),
                    (&mut pod.uid, "pod_uid"),
                ] {
                    if let Some(v) = ev.arg_str(arg) {
                        *field = v.to_owned();
                    }
                }
                if ev.arg("pod_sandbox").is_some() {
                    pod.sandbox = arg_bool(ev, "pod_sandbox");
                }
            }
        });
        if !ok {
            self.reject(ev, "container_create with an invalid id");
        }
    }

    fn on_cgroup(&self, ev: &Event) {
        let Some(path) = ev.arg_str("path") else {
            return self.reject(ev, "cgroup event without path");
        };
        if path.len() > MAX_CGROUP {
            return self.reject(ev, "cgroup path too long");
        }
        let Some(m) = cgroup::parse(path) else { return };
        if ev.name == "cgroup_mkdir" {
            self.containers.ensure(&m.id, m.runtime, ev.timestamp);
        } else if m.leaf {
            // Only the container's own cgroup going away ends it; a
            // sub-cgroup inside it (docker-in-docker, podman's
            // `container`) may come and go while it runs.
            self.containers.remove(&m.id);
        }
    }
}

/// A boolean argument; integers count as true when non-zero.
fn arg_bool(ev: &Event, name: &str) -> bool {
    match ev.arg(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Uint(v)) => *v != 0,
        Some(Value::Int(v)) => *v != 0,
        _ => false,
    }
}

fn parse_runtime(s: &str) -> Option<Runtime> {
    [
        Runtime::Docker,
        Runtime::Containerd,
        Runtime::Crio,
        Runtime::Podman,
    ]
    .into_iter()
    .find(|r| r.as_str().eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests;
