//! Kubernetes service account token theft: a process in a container opens
//! the pod's token (`/var/run/secrets/kubernetes.io/serviceaccount/token`,
//! also through `/run/…` or the `..data/` link). The token authenticates
//! to the API server; an intruder reads it to list secrets, start pods or
//! move to other nodes (Tracee TRC-108).
//!
//! Cluster components read their own token as a matter of course, so
//! processes whose binary is a known agent (by name or executable in the
//! process tree, else by `comm`, which the kernel cuts to 15 characters)
//! are not reported; the `allow` configuration key adds names. The match
//! is not made on `comm` in the host: a renamed process must not slip by.

use sandtrap_sdk::prelude::*;

const TOKEN_DIR: &str = "secrets/kubernetes.io/serviceaccount/";
const AGENTS: [&str; 10] = [
    "flanneld",
    "kube-proxy",
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "coredns",
    "kubectl",
    "cilium-agent",
    "calico-node",
];
/// TASK_COMM_LEN - 1.
const COMM_LEN: usize = 15;

struct ServiceAccountToken {
    allow: Vec<String>,
}

impl Detector for ServiceAccountToken {
    fn describe() -> Description {
        let mut d = describe("k8s-service-account-token", "Kubernetes service account token read", "0.1.0")
            .description("A process in a container that is not a known cluster agent opened the pod's service account token.")
            .uses("process")
            .finding(
                finding("service_account_token_read", Severity::Medium)
                    .description("The pod's Kubernetes API credentials were read")
                    .mitre("Credential Access", "T1528")
                    .fields(&["pathname", "reader", "comm"]),
            );
        for name in ["openat", "openat2"] {
            d = d.selector(
                select(name)
                    .filter("pathname", FilterOp::Contains, TOKEN_DIR)
                    .filter("pathname", FilterOp::Suffix, "/token")
                    .filter("container.id", FilterOp::NotEqual, ""),
            );
        }
        d.build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        let mut allow: Vec<String> = AGENTS.iter().map(|s| (*s).to_owned()).collect();
        allow.extend(config.list("allow").into_iter().map(str::to_owned));
        Ok(ServiceAccountToken { allow })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let path = ev.arg_str("pathname").unwrap_or("");
        if ev.process().container_id().is_empty()
            || !path.contains(TOKEN_DIR)
            || !path.ends_with("/token")
        {
            return Ok(vec![]);
        }
        let reader = stores::get_process(ev.process().entity_id()).ok();
        // The tree's name is the executable's basename, or `comm` when the
        // process was first seen in a syscall; `comm` itself is cut short.
        let allowed = self.allow.iter().any(|a| {
            let short = a.get(..COMM_LEN).unwrap_or(a);
            match &reader {
                Some(p) => p.is(a) || p.name() == short,
                None => ev.process().comm() == short,
            }
        });
        if allowed {
            return Ok(vec![]);
        }
        let exe = reader.as_ref().map_or("", |p| p.exe());
        Ok(vec![
            Detection::new()
                .field("pathname", path)
                .field(
                    "reader",
                    if exe.is_empty() {
                        ev.process().comm()
                    } else {
                        exe
                    },
                )
                .field("comm", ev.process().comm()),
        ])
    }
}

export_detector!(ServiceAccountToken);
