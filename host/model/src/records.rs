//! Records the stores hold and return; one struct per WIT record.

use serde::{Deserialize, Serialize};

/// A process as the process tree knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// Primary key; see [`crate::entity_id`].
    pub entity_id: u64,
    /// Entity id of the parent, 0 when unknown.
    pub parent_entity_id: u64,
    /// OS pid, for display only.
    pub pid: u32,
    /// OS parent pid, for display only.
    pub ppid: u32,
    /// Binary name, e.g. `bash`.
    pub name: String,
    /// Full executable path.
    pub exe: String,
    /// Arguments of the last exec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub argv: Vec<String>,
    /// Start in clock ticks since boot.
    pub start_ticks: u64,
    /// Start in nanoseconds since the Unix epoch.
    pub start_time: u64,
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Container id, empty on the host.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container_id: String,
    /// When it exited, in nanoseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_time: Option<u64>,
}

/// Kubernetes pod of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodInfo {
    /// Pod name.
    pub name: String,
    /// Pod UID.
    #[serde(default)]
    pub uid: String,
    /// Pod namespace.
    #[serde(default)]
    pub namespace: String,
    /// True for the pause/sandbox container.
    #[serde(default)]
    pub sandbox: bool,
}

/// Container runtimes recognised from cgroup paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// Docker (moby), `docker-<id>.scope` or `/docker/<id>`.
    Docker,
    /// containerd, including the CRI plugin (`cri-containerd-<id>.scope`).
    Containerd,
    /// CRI-O, `crio-<id>.scope`.
    Crio,
    /// Podman (libpod), `libpod-<id>.scope`.
    Podman,
}

impl Runtime {
    /// Name used in records and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Containerd => "containerd",
            Runtime::Crio => "crio",
            Runtime::Podman => "podman",
        }
    }
}

/// A container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerInfo {
    /// Full 64-hex id.
    pub id: String,
    /// Name, empty until enriched.
    #[serde(default)]
    pub name: String,
    /// Image, empty until enriched.
    #[serde(default)]
    pub image: String,
    /// Image digest, empty until enriched.
    #[serde(default)]
    pub image_digest: String,
    /// `docker`, `containerd`, `crio` or `podman`.
    pub runtime: String,
    /// Start in nanoseconds since the Unix epoch.
    #[serde(default)]
    pub start_time: u64,
    /// Pod, for Kubernetes containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodInfo>,
}

/// Filter for listing containers; set fields must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerFilter {
    /// Exact name.
    pub name: Option<String>,
    /// Exact image.
    pub image: Option<String>,
    /// Exact runtime name.
    pub runtime: Option<String>,
}

impl ContainerFilter {
    /// True when `c` passes every set criterion.
    pub fn matches(&self, c: &ContainerInfo) -> bool {
        self.name.as_ref().is_none_or(|n| *n == c.name)
            && self.image.as_ref().is_none_or(|i| *i == c.image)
            && self.runtime.as_ref().is_none_or(|r| *r == c.runtime)
    }
}

/// A namespace of the init process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceId {
    /// `mnt`, `pid`, `net`, …
    pub kind: String,
    /// Inode number of the namespace.
    pub inode: u32,
}

/// Immutable facts about the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SystemInfo {
    /// `x86_64`, `aarch64`, …
    pub architecture: String,
    /// `uname -r`.
    pub kernel_release: String,
    /// Host name.
    pub hostname: String,
    /// Boot time in nanoseconds since the Unix epoch.
    pub boot_time: u64,
    /// When the host started, in nanoseconds since the Unix epoch.
    pub host_start_time: u64,
    /// `NAME` of os-release.
    pub os_name: String,
    /// `VERSION_ID` of os-release.
    pub os_version: String,
    /// `PRETTY_NAME` of os-release.
    pub os_pretty_name: String,
    /// Version of sandtrap.
    pub host_version: String,
    /// Namespaces of pid 1.
    pub init_namespaces: Vec<NamespaceId>,
}

/// A kernel symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolInfo {
    /// Symbol name.
    pub name: String,
    /// Start address.
    pub address: u64,
    /// `system` for the core kernel, else the module name.
    pub module: String,
}

/// A cached DNS answer for a query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsResponse {
    /// The domain or address asked for.
    pub query: String,
    /// Resolved addresses.
    pub ips: Vec<String>,
    /// CNAME chain (domain query) or names resolving to the address (IP query).
    pub domains: Vec<String>,
}

/// Health of a store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Not checked yet.
    #[default]
    Unknown,
    /// Operating normally.
    Healthy,
    /// Degraded or unavailable.
    Unhealthy,
}

/// Health report of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthInfo {
    /// Status.
    pub status: HealthStatus,
    /// Empty when healthy.
    pub message: String,
    /// When health was last evaluated, ns since the Unix epoch.
    pub last_check: u64,
}

/// Operational counters of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreMetrics {
    /// Items held now.
    pub item_count: i64,
    /// Calls that returned a record.
    pub success_count: u64,
    /// Calls that returned an error other than not-found.
    pub error_count: u64,
    /// Lookups that found their key.
    pub cache_hits: u64,
    /// Lookups that did not.
    pub cache_misses: u64,
    /// Last call, ns since the Unix epoch (0: never).
    pub last_access: u64,
}

/// Description of a store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreMetadata {
    /// Registry name.
    pub name: String,
    /// One line.
    pub description: String,
    /// Record schema version.
    pub version: u32,
    /// True for stores registered by detectors.
    pub writable: bool,
    /// Owning detector of a writable store.
    pub owner: Option<String>,
}

/// Reputation verdict of an address.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ReputationStatus {
    /// No verdict.
    #[default]
    Unknown,
    /// Known good.
    Clean,
    /// Worth a look.
    Suspicious,
    /// Known bad.
    Blacklisted,
}

/// How entries of several sources for one key combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
    /// Newest `last_updated` wins.
    #[default]
    LastWriteWins,
    /// Highest severity wins.
    MaxSeverity,
    /// Highest source priority wins.
    Priority,
}

/// An IP-reputation entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reputation {
    /// Address or CIDR prefix.
    pub ip: String,
    /// Verdict.
    pub status: ReputationStatus,
    /// 1..=10.
    pub severity: u8,
    /// Free-form tags, e.g. `c2`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// ns since the Unix epoch.
    pub last_updated: u64,
}

/// An entry with the source that wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcedReputation {
    /// Writer-chosen source tag.
    pub source: String,
    /// The entry.
    pub reputation: Reputation,
}
