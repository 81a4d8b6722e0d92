//! Decoding records built byte by byte, including hostile ones.

use super::*;

const CLOCK: Clock = Clock {
    boot_time_ns: 1_000_000_000_000,
};

fn header(kind: u32, pid: u32) -> Vec<u8> {
    let mut h = vec![0u8; H];
    h[0..4].copy_from_slice(&kind.to_le_bytes());
    h[H_PID..H_PID + 4].copy_from_slice(&pid.to_le_bytes());
    h[H_TID..H_TID + 4].copy_from_slice(&pid.to_le_bytes());
    h[H_PPID..H_PPID + 4].copy_from_slice(&1u32.to_le_bytes());
    h[H_UID..H_UID + 4].copy_from_slice(&1000u32.to_le_bytes());
    h[H_BOOT..H_BOOT + 8].copy_from_slice(&5_000u64.to_le_bytes());
    h[H_START..H_START + 8].copy_from_slice(&12_340_000_000u64.to_le_bytes()); // 1234 ticks
    h[H_COMM..H_COMM + 4].copy_from_slice(b"bash");
    h
}

fn put(rec: &mut [u8], at: usize, bytes: &[u8]) {
    rec[at..at + bytes.len()].copy_from_slice(bytes);
}

fn ev(d: Decoded) -> Event {
    match d {
        Decoded::Event(e) => e,
        other => panic!("not an event: {other:?}"),
    }
}

#[test]
fn exec_record_with_memfd_dentry() {
    let mut rec = header(kind::EXEC, 42);
    rec.resize(size_of::<Exec>(), 0);
    put(&mut rec, H, &9u32.to_le_bytes()); // argv_len
    put(&mut rec, H + 8, b"/dev/fd/3\0");
    put(&mut rec, H + 8 + STR_LEN, b"memfd:payload\0");
    put(&mut rec, H + 8 + STR_LEN + 64, b"x\0-v\0foo\0");
    let e = ev(decode(&rec, CLOCK).unwrap());
    assert_eq!(e.name, "sched_process_exec");
    assert_eq!(e.timestamp, 1_000_000_005_000);
    assert_eq!(e.process.pid, 42);
    assert_eq!(e.process.start_ticks, 1234);
    assert_eq!(e.process.comm, "bash");
    assert_eq!(e.arg_str("pathname"), Some("memfd:payload"));
    assert_eq!(e.arg_str("filename"), Some("/dev/fd/3"));
    assert_eq!(
        e.arg("argv"),
        Some(&Value::StrList(vec!["x".into(), "-v".into(), "foo".into()]))
    );
}

#[test]
fn connect_record_decodes_ipv4_ipv6_and_unix() {
    let mut rec = header(kind::SYSCALL, 7);
    rec.resize(size_of::<Syscall>(), 0);
    put(&mut rec, H, &42u32.to_le_bytes());
    put(&mut rec, H + 4, &16u32.to_le_bytes());
    let blob = H + 56 + 2 * STR_LEN;
    put(&mut rec, blob, &[2, 0, 0x01, 0xbb, 203, 0, 113, 50]);
    let e = ev(decode(&rec, CLOCK).unwrap());
    assert_eq!(e.name, "security_socket_connect");
    assert_eq!(e.arg_str("remote_addr"), Some("203.0.113.50"));
    assert_eq!(e.arg_u64("remote_port"), Some(443));

    let mut v6 = [0u8; 28];
    v6[0] = 10;
    v6[3] = 53;
    v6[8 + 10] = 0xff;
    v6[8 + 11] = 0xff;
    v6[8 + 12..8 + 16].copy_from_slice(&[192, 0, 2, 1]);
    assert_eq!(sockaddr(&v6), Some(("AF_INET6", "192.0.2.1".into(), 53)));
    assert_eq!(
        sockaddr(b"\x01\x00/run/docker.sock\0"),
        Some(("AF_UNIX", "/run/docker.sock".into(), 0))
    );
    assert_eq!(sockaddr(&[9]), None);
}

#[test]
fn negative_int_arguments_keep_their_sign() {
    let mut rec = header(kind::SYSCALL, 7);
    rec.resize(size_of::<Syscall>(), 0);
    put(&mut rec, H, &257u32.to_le_bytes());
    put(&mut rec, H + 8, &0x0000_0000_ffff_ff9cu64.to_le_bytes()); // AT_FDCWD, zero-extended
    put(&mut rec, H + 56, b"/etc/shadow\0");
    let e = ev(decode(&rec, CLOCK).unwrap());
    assert_eq!(e.arg("dirfd"), Some(&Value::Int(-100)));
    assert_eq!(e.arg_str("pathname"), Some("/etc/shadow"));
}

#[test]
fn hostile_records_are_errors() {
    assert!(matches!(decode(&[], CLOCK), Err(DecodeError::Short { .. })));
    assert_eq!(
        decode(&header(99, 1), CLOCK),
        Err(DecodeError::UnknownKind(99))
    );
    let short = header(kind::EXEC, 1);
    assert!(matches!(
        decode(&short, CLOCK),
        Err(DecodeError::Short { kind: 2, .. })
    ));
    let mut rec = header(kind::SYSCALL, 1);
    rec.resize(size_of::<Syscall>(), 0xff); // no terminators, absurd lengths
    put(&mut rec, H, &4242u32.to_le_bytes());
    assert_eq!(decode(&rec, CLOCK), Err(DecodeError::UnknownSyscall(4242)));
    put(&mut rec, H, &257u32.to_le_bytes());
    let e = ev(decode(&rec, CLOCK).unwrap());
    assert_eq!(e.arg_str("pathname").map(str::len), Some(STR_LEN * 3)); // U+FFFD per byte
    let mut exec = header(kind::EXEC, 1);
    exec.resize(size_of::<Exec>(), 0xff);
    assert!(decode(&exec, CLOCK).is_ok());
    // Every prefix of every kind, and random garbage, never panics.
    for k in [kind::FORK, kind::EXEC, kind::EXIT, kind::SYSCALL, kind::DNS] {
        let mut full = header(k, 1);
        full.resize(1200, 0xa5);
        for cut in 0..full.len() {
            let _ = decode(&full[..cut], CLOCK);
        }
    }
}

#[test]
fn dns_record_keeps_payload_and_truncation() {
    let mut rec = header(kind::DNS, 0);
    rec.resize(size_of::<Dns>(), 0);
    put(&mut rec, H, &4u32.to_le_bytes());
    put(&mut rec, H + 4, &900u32.to_le_bytes());
    put(&mut rec, H + 8, &[1, 2, 3, 4]);
    match decode(&rec, CLOCK).unwrap() {
        Decoded::Dns {
            payload,
            truncated,
            boot_ns,
        } => {
            assert_eq!(payload, [1, 2, 3, 4]);
            assert!(truncated);
            assert_eq!(boot_ns, 5_000);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cgroup_records_carry_their_path() {
    let mut rec = header(kind::CGROUP_RMDIR, 1);
    rec.resize(size_of::<Cgroup>(), 0);
    put(&mut rec, H + 8, b"/system.slice/docker-abc.scope\0");
    let e = ev(decode(&rec, CLOCK).unwrap());
    assert_eq!(e.name, "cgroup_rmdir");
    assert_eq!(e.arg_str("path"), Some("/system.slice/docker-abc.scope"));
}
