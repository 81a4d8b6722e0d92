//! Container identity from cgroup paths, for every runtime and cgroup driver.

use sandtrap_model::Runtime;

/// Longest path examined; the kernel's `PATH_MAX`. Anything longer is not
/// a cgroup path the kernel could have produced.
const MAX_PATH: usize = 4096;

/// Length of a full container id in hex.
const ID_LEN: usize = 64;

/// The container a cgroup path belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CgroupMatch {
    pub runtime: Runtime,
    /// Lowercase 64-hex id.
    pub id: String,
    /// True when the id is in the last component: the path is the
    /// container's own cgroup, not a sub-cgroup inside it.
    pub leaf: bool,
}

/// What one path component says.
enum Component {
    Container(Runtime, String),
    /// A runtime's monitor (conmon) beside the container, not inside it.
    Monitor,
    Other,
}

/// `(runtime, 64-hex id)` of the container whose cgroup holds `path`, or
/// `None` for host paths, conmon monitors and anything unrecognised.
///
/// Recognises docker (`docker-<id>.scope`, `/docker/<id>`), containerd/CRI
/// (`cri-containerd-<id>.scope`, `/kubepods/…/pod<uid>/<id>`), CRI-O
/// (`crio-<id>.scope`) and podman (`libpod-<id>.scope`, rootless too). With
/// nesting (docker-in-docker, podman's `…/container` sub-cgroup) the
/// innermost id wins.
pub fn parse_cgroup_path(path: &str) -> Option<(Runtime, String)> {
    parse(path).map(|m| (m.runtime, m.id))
}

/// [`parse_cgroup_path`] that also says whether the id is the last component.
pub(crate) fn parse(path: &str) -> Option<CgroupMatch> {
    if path.len() > MAX_PATH {
        return None;
    }
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    for (i, comp) in comps.iter().enumerate().rev() {
        match classify(comp, &comps[..i]) {
            Component::Container(runtime, id) => {
                return Some(CgroupMatch {
                    runtime,
                    id,
                    leaf: i + 1 == comps.len(),
                });
            }
            Component::Monitor => return None,
            Component::Other => {}
        }
    }
    None
}

/// Scope prefixes, longest first so `crio-conmon-` is tried before `crio-`.
const PREFIXES: &[(&str, Option<Runtime>)] = &[
    ("cri-containerd-", Some(Runtime::Containerd)),
    ("crio-conmon-", None),
    ("crio-", Some(Runtime::Crio)),
    ("libpod-conmon-", None),
    ("libpod-", Some(Runtime::Podman)),
    ("docker-", Some(Runtime::Docker)),
    ("nerdctl-", Some(Runtime::Containerd)),
];

fn classify(comp: &str, ancestors: &[&str]) -> Component {
    let base = comp.strip_suffix(".scope").unwrap_or(comp);
    for (prefix, runtime) in PREFIXES {
        if let Some(rest) = base.strip_prefix(prefix)
            && let Some(id) = hex_id(rest)
        {
            return match runtime {
                Some(rt) => Component::Container(*rt, id),
                None => Component::Monitor,
            };
        }
    }
    // A bare id is a container only where a driver puts one: under
    // `docker` (cgroupfs driver) or under the kubelet's `kubepods` tree.
    if base.len() == comp.len()
        && let Some(id) = hex_id(comp)
    {
        if ancestors.last() == Some(&"docker") {
            return Component::Container(Runtime::Docker, id);
        }
        if ancestors.iter().any(|a| a.starts_with("kubepods")) {
            return Component::Container(Runtime::Containerd, id);
        }
    }
    Component::Other
}

/// `s` as a lowercase id when it is exactly 64 hex digits.
fn hex_id(s: &str) -> Option<String> {
    (s.len() == ID_LEN && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const ID2: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    #[test]
    fn recognises_every_runtime_layout() {
        use Runtime::*;
        let cases: Vec<(String, Option<(Runtime, &str)>)> = vec![
            (
                format!("/system.slice/docker-{ID}.scope"),
                Some((Docker, ID)),
            ),
            (format!("/docker/{ID}"), Some((Docker, ID))),
            (format!("/docker/{ID}/init"), Some((Docker, ID))),
            (format!("/docker/{ID}/docker/{ID2}"), Some((Docker, ID2))),
            (
                format!("/system.slice/cri-containerd-{ID}.scope"),
                Some((Containerd, ID)),
            ),
            (
                format!("/kubepods/besteffort/pod1234-abcd/{ID}"),
                Some((Containerd, ID)),
            ),
            (
                format!(
                    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12_34.slice/cri-containerd-{ID}.scope"
                ),
                Some((Containerd, ID)),
            ),
            (
                format!(
                    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/crio-{ID}.scope"
                ),
                Some((Crio, ID)),
            ),
            (format!("/system.slice/crio-{ID}.scope"), Some((Crio, ID))),
            (
                format!("/machine.slice/libpod-{ID}.scope"),
                Some((Podman, ID)),
            ),
            (
                format!("/machine.slice/libpod-{ID}.scope/container"),
                Some((Podman, ID)),
            ),
            (
                format!(
                    "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"
                ),
                Some((Podman, ID)),
            ),
            (format!("/libpod_parent/libpod-{ID}"), Some((Podman, ID))),
            (
                format!("/system.slice/nerdctl-{ID}.scope"),
                Some((Containerd, ID)),
            ),
            (
                format!("/system.slice/docker-{}.scope", ID.to_uppercase()),
                Some((Docker, ID)),
            ),
        ];
        for (path, want) in cases {
            let got = parse_cgroup_path(&path);
            assert_eq!(got, want.map(|(r, id)| (r, id.to_owned())), "{path}");
        }
    }

    #[test]
    fn refuses_monitors_and_host_paths() {
        let none = [
            format!("/machine.slice/libpod-conmon-{ID}.scope"),
            format!("/system.slice/crio-conmon-{ID}.scope"),
            format!("/kubepods.slice/kubepods-pod1.slice/crio-conmon-{ID}.scope"),
            "/".to_owned(),
            String::new(),
            "/system.slice/docker.service".to_owned(),
            "/user.slice/user-1000.slice/session-2.scope".to_owned(),
            "/docker".to_owned(),
            format!("/system.slice/{ID}"),
            format!("/system.slice/docker-{}.scope", &ID[..63]),
            format!("/system.slice/docker-{ID}0.scope"),
            format!("/system.slice/docker-{}g.scope", &ID[..63]),
            format!("/kubepods/besteffort/pod1/{ID}.scope"),
        ];
        for path in none {
            assert_eq!(parse_cgroup_path(&path), None, "{path}");
        }
    }

    #[test]
    fn conmon_beside_a_container_is_not_inside_it() {
        // The monitor is the innermost component: the process is conmon.
        let p = format!("/machine.slice/libpod-{ID2}.scope/libpod-conmon-{ID}.scope");
        assert_eq!(parse_cgroup_path(&p), None);
    }

    #[test]
    fn leaf_flag_tells_own_cgroup_from_sub_cgroup() {
        assert!(parse(&format!("/docker/{ID}")).unwrap().leaf);
        assert!(parse(&format!("/docker/{ID}/")).unwrap().leaf);
        assert!(!parse(&format!("/docker/{ID}/init")).unwrap().leaf);
    }

    #[test]
    fn hostile_input_never_panics() {
        let huge = format!("/docker/{}", "a".repeat(1 << 20));
        assert_eq!(parse_cgroup_path(&huge), None);
        let near_limit = format!("{}/docker/{ID}", "/x".repeat((MAX_PATH - 80) / 2));
        assert!(parse_cgroup_path(&near_limit).is_some());
        let odd = [
            "/docker/é".to_owned(),
            format!("/docker-{}.scope", "é".repeat(32)),
            format!("/docker/{}", "😀".repeat(16)),
            "\0/\0".to_owned(),
            "////////".to_owned(),
            format!("docker-{ID}.scop"),
            format!("/docker/{ID}\u{202e}"),
            ".scope".to_owned(),
            "docker-.scope".to_owned(),
        ];
        for p in odd {
            let _ = parse_cgroup_path(&p);
        }
        assert_eq!(
            parse_cgroup_path(&format!("/docker/{}", "é".repeat(32))),
            None
        );
    }
}
