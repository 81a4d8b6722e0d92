;; WASI preview1 adapter for Go components (`--adapt wasi_snapshot_preview1=`).
;;
;; Why not the stock reactor adapter: it allocates its state on the first
;; WASI call through the main module's `cabi_realloc`, and Go makes its
;; first WASI calls while its runtime is still initialising, on the system
;; stack, where re-entering Go is fatal ("systemstack called from
;; unexpected goroutine"). This adapter keeps no state and never
;; allocates, so it cannot re-enter the module.
;;
;; It also matches the sandbox: no arguments, no environment, no preopened
;; directories, no sockets; descriptors 0-2 exist and everything else is
;; EBADF. Writes to stdout/stderr become host log lines (info/warn), so a
;; Go panic message or a debugging fmt.Println is visible in the host's
;; log. The wall clock is the host's clock (fixed under the mock host, as
;; detectors see it through `host.now`); the monotonic clock and random
;; bytes come from WASI 0.2. poll_oneoff reports every subscription ready
;; at once: a guest cannot park the host's thread, a sleeping detector
;; spins until its fuel or deadline runs out.
(module
  (import "env" "memory" (memory 0))
  (import "sandtrap:detector/host@0.4.0" "log" (func $log (param i32 i32 i32)))
  (import "sandtrap:detector/host@0.4.0" "now" (func $wall_now (result i64)))
  (import "wasi:clocks/monotonic-clock@0.2.0" "now" (func $mono_now (result i64)))
  (import "wasi:random/random@0.2.0" "get-random-u64" (func $random_u64 (result i64)))

  ;; WASI errno values.
  (global $EBADF i32 (i32.const 8))
  (global $EINVAL i32 (i32.const 28))
  (global $ENOSYS i32 (i32.const 52))

  (func $is_stdio (param $fd i32) (result i32)
    (i32.lt_u (local.get $fd) (i32.const 3)))

  ;; ---- arguments and environment: always empty ----
  (func (export "args_sizes_get") (param $argc i32) (param $size i32) (result i32)
    (i32.store (local.get $argc) (i32.const 0))
    (i32.store (local.get $size) (i32.const 0))
    (i32.const 0))
  (func (export "args_get") (param i32 i32) (result i32)
    (i32.const 0))
  (func (export "environ_sizes_get") (param $count i32) (param $size i32) (result i32)
    (i32.store (local.get $count) (i32.const 0))
    (i32.store (local.get $size) (i32.const 0))
    (i32.const 0))
  (func (export "environ_get") (param i32 i32) (result i32)
    (i32.const 0))

  ;; ---- clocks: 0 realtime, 1 monotonic, 2/3 process/thread CPU time ----
  (func (export "clock_res_get") (param $id i32) (param $res i32) (result i32)
    (if (i32.gt_u (local.get $id) (i32.const 3)) (then (return (global.get $EINVAL))))
    (i64.store (local.get $res) (i64.const 1))
    (i32.const 0))
  (func (export "clock_time_get") (param $id i32) (param $precision i64) (param $time i32) (result i32)
    (if (i32.gt_u (local.get $id) (i32.const 3)) (then (return (global.get $EINVAL))))
    (if (i32.eqz (local.get $id))
      (then (i64.store (local.get $time) (call $wall_now)))
      (else (i64.store (local.get $time) (call $mono_now))))
    (i32.const 0))

  ;; ---- randomness ----
  (func (export "random_get") (param $buf i32) (param $len i32) (result i32)
    (local $word i64)
    (block $done
      (loop $words
        (br_if $done (i32.lt_u (local.get $len) (i32.const 8)))
        (i64.store (local.get $buf) (call $random_u64))
        (local.set $buf (i32.add (local.get $buf) (i32.const 8)))
        (local.set $len (i32.sub (local.get $len) (i32.const 8)))
        (br $words)))
    (if (i32.eqz (local.get $len)) (then (return (i32.const 0))))
    (local.set $word (call $random_u64))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.eqz (local.get $len)))
        (i32.store8 (local.get $buf) (i32.wrap_i64 (local.get $word)))
        (local.set $word (i64.shr_u (local.get $word) (i64.const 8)))
        (local.set $buf (i32.add (local.get $buf) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $tail)))
    (i32.const 0))

  ;; ---- descriptors ----
  ;; fd_write: stdout → info, stderr → warn log lines, one per iovec, with
  ;; one trailing newline dropped and empty pieces skipped.
  (func (export "fd_write") (param $fd i32) (param $iovs i32) (param $n i32) (param $written i32) (result i32)
    (local $total i32) (local $ptr i32) (local $len i32) (local $level i32)
    (if (i32.eqz (call $is_stdio (local.get $fd))) (then (return (global.get $EBADF))))
    (if (i32.eqz (local.get $fd)) (then (return (global.get $EBADF))))
    (local.set $level (select (i32.const 2) (i32.const 3) (i32.eq (local.get $fd) (i32.const 1))))
    (block $done
      (loop $each
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $ptr (i32.load (local.get $iovs)))
        (local.set $len (i32.load offset=4 (local.get $iovs)))
        (local.set $total (i32.add (local.get $total) (local.get $len)))
        (if (i32.and
              (i32.ne (local.get $len) (i32.const 0))
              (i32.eq (i32.load8_u (i32.sub (i32.add (local.get $ptr) (local.get $len)) (i32.const 1))) (i32.const 10)))
          (then (local.set $len (i32.sub (local.get $len) (i32.const 1)))))
        (if (local.get $len)
          (then (call $log (local.get $level) (local.get $ptr) (local.get $len))))
        (local.set $iovs (i32.add (local.get $iovs) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $written) (local.get $total))
    (i32.const 0))

  ;; fd_read: standard input is empty (end of file).
  (func (export "fd_read") (param $fd i32) (param i32 i32) (param $read i32) (result i32)
    (if (i32.ne (local.get $fd) (i32.const 0)) (then (return (global.get $EBADF))))
    (i32.store (local.get $read) (i32.const 0))
    (i32.const 0))

  ;; fdstat: filetype u8 @0 (2 = character device), flags u16 @2,
  ;; rights_base u64 @8, rights_inheriting u64 @16.
  (func (export "fd_fdstat_get") (param $fd i32) (param $stat i32) (result i32)
    (if (i32.eqz (call $is_stdio (local.get $fd))) (then (return (global.get $EBADF))))
    (i64.store (local.get $stat) (i64.const 2))
    (i64.store offset=8 (local.get $stat) (i64.const 0x1fffffff))
    (i64.store offset=16 (local.get $stat) (i64.const 0))
    (i32.const 0))
  (func (export "fd_fdstat_set_flags") (param $fd i32) (param i32) (result i32)
    (if (i32.eqz (call $is_stdio (local.get $fd))) (then (return (global.get $EBADF))))
    (i32.const 0))
  (func (export "fd_close") (param $fd i32) (result i32)
    (if (i32.eqz (call $is_stdio (local.get $fd))) (then (return (global.get $EBADF))))
    (i32.const 0))

  ;; No preopened directories: enumeration ends at the first descriptor.
  (func (export "fd_prestat_get") (param i32 i32) (result i32) (global.get $EBADF))
  (func (export "fd_prestat_dir_name") (param i32 i32 i32) (result i32) (global.get $EBADF))

  ;; Every other descriptor operation: no such descriptor.
  (func (export "fd_advise") (param i32 i64 i64 i32) (result i32) (global.get $EBADF))
  (func (export "fd_allocate") (param i32 i64 i64) (result i32) (global.get $EBADF))
  (func (export "fd_datasync") (param i32) (result i32) (global.get $EBADF))
  (func (export "fd_fdstat_set_rights") (param i32 i64 i64) (result i32) (global.get $EBADF))
  (func (export "fd_filestat_get") (param i32 i32) (result i32) (global.get $EBADF))
  (func (export "fd_filestat_set_size") (param i32 i64) (result i32) (global.get $EBADF))
  (func (export "fd_filestat_set_times") (param i32 i64 i64 i32) (result i32) (global.get $EBADF))
  (func (export "fd_pread") (param i32 i32 i32 i64 i32) (result i32) (global.get $EBADF))
  (func (export "fd_pwrite") (param i32 i32 i32 i64 i32) (result i32) (global.get $EBADF))
  (func (export "fd_readdir") (param i32 i32 i32 i64 i32) (result i32) (global.get $EBADF))
  (func (export "fd_renumber") (param i32 i32) (result i32) (global.get $EBADF))
  (func (export "fd_seek") (param i32 i64 i32 i32) (result i32) (global.get $EBADF))
  (func (export "fd_sync") (param i32) (result i32) (global.get $EBADF))
  (func (export "fd_tell") (param i32 i32) (result i32) (global.get $EBADF))

  ;; Paths are resolved against a preopened directory; there is none.
  (func (export "path_create_directory") (param i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_filestat_get") (param i32 i32 i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_filestat_set_times") (param i32 i32 i32 i32 i64 i64 i32) (result i32) (global.get $EBADF))
  (func (export "path_link") (param i32 i32 i32 i32 i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_open") (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_readlink") (param i32 i32 i32 i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_remove_directory") (param i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_rename") (param i32 i32 i32 i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_symlink") (param i32 i32 i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "path_unlink_file") (param i32 i32 i32) (result i32) (global.get $EBADF))

  ;; No sockets.
  (func (export "sock_accept") (param i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "sock_recv") (param i32 i32 i32 i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "sock_send") (param i32 i32 i32 i32 i32) (result i32) (global.get $EBADF))
  (func (export "sock_shutdown") (param i32 i32) (result i32) (global.get $EBADF))

  ;; poll_oneoff: subscription (48 bytes): userdata u64 @0, tag u8 @8;
  ;; event (32 bytes): userdata u64 @0, error u16 @8, type u8 @10,
  ;; fd_readwrite.nbytes u64 @16, flags u16 @24. Everything is ready now.
  (func (export "poll_oneoff") (param $in i32) (param $out i32) (param $n i32) (param $nevents i32) (result i32)
    (local $i i32)
    (if (i32.eqz (local.get $n)) (then (return (global.get $EINVAL))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i64.store (local.get $out) (i64.load (local.get $in)))
        (i32.store16 offset=8 (local.get $out) (i32.const 0))
        (i32.store8 offset=10 (local.get $out) (i32.load8_u offset=8 (local.get $in)))
        (i64.store offset=16 (local.get $out) (i64.const 0))
        (i32.store16 offset=24 (local.get $out) (i32.const 0))
        (local.set $in (i32.add (local.get $in) (i32.const 48)))
        (local.set $out (i32.add (local.get $out) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.store (local.get $nevents) (local.get $n))
    (i32.const 0))

  (func (export "sched_yield") (result i32) (i32.const 0))
  (func (export "proc_raise") (param i32) (result i32) (global.get $ENOSYS))
  ;; A Go program exits only on a fatal error: make it a trap the host
  ;; reports as a fault.
  (func (export "proc_exit") (param i32) (unreachable))
)
