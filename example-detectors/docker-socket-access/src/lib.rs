//! Container runtime socket access from inside a container. Whoever talks
//! to `docker.sock` (or containerd's, CRI-O's, Podman's) can start a
//! privileged container with the host's root filesystem mounted: a socket
//! mounted into a container is a way out of it (Tracee TRC-1019).
//!
//! A `connect` to a Unix socket, or an `openat`, whose path names one of
//! those sockets is reported when the caller is in a container. Paths are
//! matched by their last component, since the socket is often mounted
//! elsewhere (`/host/run/docker.sock`). `O_PATH` opens, which only check
//! that the file exists, are not reported. Containers that manage others
//! on purpose (CI runners, Portainer, Traefik) are listed by image prefix
//! in the `allow_images` configuration key; the container store supplies
//! the image.

use sandtrap_sdk::prelude::*;

/// Socket file name and runtime.
const SOCKETS: [(&str, &str); 4] = [
    ("docker.sock", "docker"),
    ("containerd.sock", "containerd"),
    ("crio.sock", "crio"),
    ("podman.sock", "podman"),
];
const O_PATH: u64 = 0x20_0000;

struct DockerSocketAccess {
    allow_images: Vec<String>,
}

/// The runtime whose socket `path` names.
fn runtime_of(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    SOCKETS.iter().find(|(s, _)| *s == name).map(|(_, r)| *r)
}

impl Detector for DockerSocketAccess {
    fn describe() -> Description {
        let mut d = describe(
            "docker-socket-access",
            "Container runtime socket access",
            "0.1.0",
        )
        .description("A process in a container reached the container runtime's API socket.")
        .uses("container")
        .finding(
            finding("runtime_socket_access", Severity::High)
                .description("A container can drive the container runtime of its host")
                .mitre("Execution", "T1609")
                .fields(&["socket", "runtime", "access"]),
        );
        // Only processes in a container, and only paths ending in a socket
        // name, reach the sandbox.
        for (socket, _) in SOCKETS {
            d = d.selector(
                select("security_socket_connect")
                    .filter("family", FilterOp::Equal, "AF_UNIX")
                    .filter("remote_addr", FilterOp::Suffix, socket)
                    .filter("container.id", FilterOp::NotEqual, ""),
            );
            for name in ["openat", "openat2"] {
                d = d.selector(
                    select(name)
                        .filter("pathname", FilterOp::Suffix, socket)
                        .filter("container.id", FilterOp::NotEqual, ""),
                );
            }
        }
        d.build()
    }

    fn init(config: &Config) -> Result<Self, String> {
        Ok(DockerSocketAccess {
            allow_images: config
                .list("allow_images")
                .into_iter()
                .map(str::to_owned)
                .collect(),
        })
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let id = ev.process().container_id();
        if id.is_empty() {
            return Ok(vec![]);
        }
        let (access, path) = match ev.name() {
            "security_socket_connect" if ev.arg_str("family") == Some("AF_UNIX") => {
                ("connect", ev.arg_str("remote_addr"))
            }
            "openat" | "openat2" if ev.arg_u64("flags").unwrap_or(0) & O_PATH == 0 => {
                ("open", ev.arg_str("pathname"))
            }
            _ => return Ok(vec![]),
        };
        let Some(path) = path else {
            return Ok(vec![]);
        };
        let Some(runtime) = runtime_of(path) else {
            return Ok(vec![]); // e.g. mydocker.sock
        };
        if !self.allow_images.is_empty() {
            let container = stores::get_container(id).ok();
            let image = container.as_ref().map_or("", |c| c.image());
            if self
                .allow_images
                .iter()
                .any(|p| !image.is_empty() && image.starts_with(p.as_str()))
            {
                return Ok(vec![]);
            }
        }
        Ok(vec![
            Detection::new()
                .field("socket", path)
                .field("runtime", runtime)
                .field("access", access),
        ])
    }
}

export_detector!(DockerSocketAccess);
