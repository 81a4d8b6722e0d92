//! A shell whose ancestry contains a web server or database process: the
//! classic sign of a web shell or of command injection in a service.
//!
//! Selection happens in the host (one selector per shell binary); the
//! ancestry walk uses the process store, so it also catches
//! `nginx → php-fpm → sh → bash` chains where the server is not the parent.

use sandtrap_sdk::prelude::*;

const SHELLS: [&str; 7] = ["/sh", "/bash", "/dash", "/zsh", "/ksh", "/ash", "/busybox"];
const SERVERS: [&str; 14] = [
    "nginx",
    "apache2",
    "httpd",
    "lighttpd",
    "caddy",
    "php-fpm",
    "php-fpm8.2",
    "tomcat",
    "mysqld",
    "mariadbd",
    "postgres",
    "redis-server",
    "mongod",
    "memcached",
];
const MAX_DEPTH: u32 = 8;

struct WebserverShell;

impl Detector for WebserverShell {
    fn describe() -> Description {
        let mut d = describe("webserver-shell", "Shell spawned by a service", "0.1.0")
            .description("A shell was executed by a web server or database process or one of its descendants.")
            .requires("process")
            .finding(
                finding("service_spawned_shell", Severity::High)
                    .description("A network-facing service started a shell")
                    .mitre("Persistence", "T1505.003")
                    .fields(&["shell", "argv", "service", "service_pid", "depth"]),
            );
        for shell in SHELLS {
            d = d.selector(select("sched_process_exec").filter(
                "pathname",
                FilterOp::Suffix,
                shell,
            ));
        }
        d.build()
    }

    fn init(_: &Config) -> Result<Self, String> {
        Ok(WebserverShell)
    }

    fn on_event(&mut self, ev: &Event) -> Result<Vec<Detection>, String> {
        let chain = match stores::get_ancestry(ev.process().entity_id(), MAX_DEPTH) {
            Ok(chain) => chain,
            Err(StoreError::NotFound) => return Ok(vec![]),
            Err(e) => return Err(format!("process store: {e:?}")),
        };
        // chain[0] is the shell itself; a shell running a shell is normal
        // for a service only if the service is above it.
        let Some((depth, service)) = chain
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, p)| SERVERS.iter().any(|s| p.is(s)))
        else {
            return Ok(vec![]);
        };
        let argv = ev.arg_list("argv").map(|l| l.to_vec()).unwrap_or_default();
        Ok(vec![
            Detection::new()
                .field(
                    "shell",
                    ev.arg_str("pathname").unwrap_or(ev.process().exe()),
                )
                .field("argv", argv)
                .field("service", service.name())
                .field("service_pid", service.pid())
                .field("depth", depth as u64),
        ])
    }
}

export_detector!(WebserverShell);
