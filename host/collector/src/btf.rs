//! Kernel struct offsets from the running kernel's BTF.
//!
//! Rust eBPF has no CO-RE relocations, so the offsets the programs use are
//! looked up here at load time and passed in as globals. Nothing is baked
//! in from the build machine.

use btf_rs::{Btf, BtfType, Type};

/// Where BTF of the running kernel lives.
pub const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

/// Why an offset could not be found.
#[derive(Debug, thiserror::Error)]
pub enum BtfError {
    /// The BTF file could not be read or parsed.
    #[error("{path}: {message}")]
    Open {
        /// File.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A struct or member is missing (or is a bitfield).
    #[error("BTF has no usable {0}")]
    Missing(String),
}

/// Offsets of every field the programs read, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offsets {
    /// `task_struct.pid`.
    pub task_pid: u32,
    /// `task_struct.tgid`.
    pub task_tgid: u32,
    /// `task_struct.real_parent`.
    pub task_real_parent: u32,
    /// `task_struct.start_boottime`.
    pub task_start_boottime: u32,
    /// `task_struct.mm`.
    pub task_mm: u32,
    /// `task_struct.exit_code`.
    pub task_exit_code: u32,
    /// `mm_struct.arg_start`.
    pub mm_arg_start: u32,
    /// `mm_struct.arg_end`.
    pub mm_arg_end: u32,
    /// `linux_binprm.filename`.
    pub bprm_filename: u32,
    /// `linux_binprm.file`.
    pub bprm_file: u32,
    /// `file.f_path.dentry`.
    pub file_dentry: u32,
    /// `dentry.d_name.name`.
    pub dentry_name: u32,
}

impl Offsets {
    /// Reads the offsets from `path` (normally [`VMLINUX`]).
    pub fn from_file(path: &str) -> Result<Self, BtfError> {
        Self::from_btf(&open(path)?)
    }

    /// Reads the offsets from parsed BTF.
    pub fn from_btf(btf: &Btf) -> Result<Self, BtfError> {
        let off = |s: &str, m: &str| member_offset(btf, s, m);
        Ok(Self {
            task_pid: off("task_struct", "pid")?,
            task_tgid: off("task_struct", "tgid")?,
            task_real_parent: off("task_struct", "real_parent")?,
            task_start_boottime: off("task_struct", "start_boottime")?,
            task_mm: off("task_struct", "mm")?,
            task_exit_code: off("task_struct", "exit_code")?,
            mm_arg_start: off("mm_struct", "arg_start")?,
            mm_arg_end: off("mm_struct", "arg_end")?,
            bprm_filename: off("linux_binprm", "filename")?,
            bprm_file: off("linux_binprm", "file")?,
            file_dentry: off("file", "f_path")? + off("path", "dentry")?,
            dentry_name: off("dentry", "d_name")? + off("qstr", "name")?,
        })
    }
}

/// Number of arguments the running kernel passes to raw tracepoint `name`
/// (its `TP_PROTO`), from the `btf_trace_<name>` typedef; `None` when the
/// kernel has no such tracepoint.
pub fn tracepoint_arity(btf: &Btf, name: &str) -> Option<usize> {
    let types = btf
        .resolve_types_by_name(&format!("btf_trace_{name}"))
        .ok()?;
    let typedef = types.into_iter().find_map(|t| match t {
        Type::Typedef(td) => Some(td),
        _ => None,
    })?;
    let Ok(Type::Ptr(ptr)) = btf.resolve_chained_type(&typedef) else {
        return None;
    };
    let Ok(Type::FuncProto(proto)) = btf.resolve_chained_type(&ptr) else {
        return None;
    };
    // The first parameter is the probe's `void *__data` cookie.
    proto.parameters.len().checked_sub(1)
}

/// Parses a BTF file.
pub fn open(path: &str) -> Result<Btf, BtfError> {
    Btf::from_file(path).map_err(|e| BtfError::Open {
        path: path.into(),
        message: format!("{e:#}"),
    })
}

/// Checks that raw tracepoint `name` passes at least `want` arguments, so
/// the program reads arguments the kernel really passes.
pub fn check_tracepoint(btf: &Btf, name: &str, want: usize) -> Result<(), String> {
    match tracepoint_arity(btf, name) {
        Some(n) if n >= want => Ok(()),
        Some(n) => Err(format!(
            "the kernel's {name} passes {n} arguments, the program reads {want}"
        )),
        None => Err(format!("the kernel has no {name} tracepoint")),
    }
}

/// Byte offset of `member` in `struct name`, looking through anonymous
/// structs and unions.
pub fn member_offset(btf: &Btf, name: &str, member: &str) -> Result<u32, BtfError> {
    let missing = || BtfError::Missing(format!("{name}.{member}"));
    let types = btf.resolve_types_by_name(name).map_err(|_| missing())?;
    let st = types
        .into_iter()
        .find_map(|t| match t {
            Type::Struct(s) if !s.members.is_empty() => Some(s),
            _ => None,
        })
        .ok_or_else(missing)?;
    let bits = find(btf, &st, member, 0).ok_or_else(missing)?;
    if bits % 8 != 0 {
        return Err(missing());
    }
    Ok(bits / 8)
}

fn find(btf: &Btf, st: &btf_rs::Struct, member: &str, depth: u32) -> Option<u32> {
    if depth > 8 {
        return None;
    }
    for m in &st.members {
        let name = btf.resolve_name(m).unwrap_or_default();
        if name == member {
            return m
                .bitfield_size()
                .filter(|s| *s != 0)
                .map_or(Some(m.bit_offset()), |_| None);
        }
        if name.is_empty()
            && let Ok(Type::Struct(inner) | Type::Union(inner)) = btf.resolve_chained_type(m)
            && let Some(off) = find(btf, &inner, member, depth + 1)
        {
            return Some(m.bit_offset() + off);
        }
    }
    let _ = st.get_type_id();
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_of_the_running_kernel_are_plausible() {
        if !std::path::Path::new(VMLINUX).exists() {
            eprintln!("no {VMLINUX}; skipping");
            return;
        }
        let o = Offsets::from_file(VMLINUX).unwrap();
        assert_eq!(
            o.task_tgid,
            o.task_pid + 4,
            "pid and tgid are adjacent pid_t fields"
        );
        assert!(o.task_real_parent > o.task_tgid);
        assert!(o.mm_arg_end == o.mm_arg_start + 8);
        assert_eq!(o.dentry_name % 8, 0);
    }

    #[test]
    fn tracepoint_signatures_of_the_running_kernel() {
        let Ok(btf) = Btf::from_file(VMLINUX) else {
            return;
        };
        assert_eq!(tracepoint_arity(&btf, "sys_enter"), Some(2));
        assert_eq!(tracepoint_arity(&btf, "sched_process_exec"), Some(3));
        assert_eq!(tracepoint_arity(&btf, "sched_process_fork"), Some(2));
        assert_eq!(tracepoint_arity(&btf, "no_such_tracepoint"), None);
        assert!(
            check_tracepoint(&btf, "sched_process_exec", 4)
                .unwrap_err()
                .contains("passes 3")
        );
    }

    #[test]
    fn missing_btf_and_members_are_errors() {
        assert!(matches!(
            Offsets::from_file("/nonexistent/vmlinux"),
            Err(BtfError::Open { .. })
        ));
        if let Ok(btf) = Btf::from_file(VMLINUX) {
            assert!(matches!(
                member_offset(&btf, "task_struct", "no_such_field"),
                Err(BtfError::Missing(_))
            ));
            assert!(matches!(
                member_offset(&btf, "no_such_struct", "x"),
                Err(BtfError::Missing(_))
            ));
        }
    }
}
