//! DNS responses: UDP from port 53 delivered to any local socket, copied
//! (bounded) for the collector to parse. Always lets the packet through.

use aya_ebpf::cty::c_void;
use aya_ebpf::helpers::generated::bpf_skb_load_bytes;
use aya_ebpf::macros::cgroup_skb;
use aya_ebpf::programs::SkBuffContext;
use sandtrap_ebpf_common::{DNS_LEN, Dns, kind};

use crate::kernel::fill_header;
use crate::{EVENTS, count_drop};

const UDP: u8 = 17;
const DNS_PORT: u16 = 53;

/// cgroup_skb ingress on the cgroup v2 root.
#[cgroup_skb]
pub fn dns_ingress(ctx: SkBuffContext) -> i32 {
    let _ = capture(&ctx);
    1
}

#[inline(always)]
fn capture(ctx: &SkBuffContext) -> Result<(), i64> {
    let first: u8 = ctx.load(0)?;
    let (proto, l4) = match first >> 4 {
        4 => {
            let proto: u8 = ctx.load(9)?;
            (proto, usize::from(first & 0x0f) * 4)
        }
        6 => {
            let next: u8 = ctx.load(6)?;
            (next, 40)
        }
        _ => return Ok(()),
    };
    if proto != UDP || !(20..=60).contains(&l4) {
        return Ok(());
    }
    let sport: u16 = u16::from_be(ctx.load(l4)?);
    if sport != DNS_PORT {
        return Ok(());
    }
    let payload = l4 + 8;
    let total = ctx.len() as usize;
    if total < payload + 12 {
        return Ok(());
    }
    let len = total - payload;
    let len = if len > DNS_LEN { DNS_LEN } else { len };
    let Some(mut entry) = EVENTS.reserve::<Dns>(0) else {
        count_drop();
        return Ok(());
    };
    let r = entry.as_mut_ptr();
    // SAFETY: `r` is a fresh reservation of the right size.
    let copied = unsafe {
        fill_header(&raw mut (*r).header, kind::DNS);
        (*r).full_len = (total - payload) as u32;
        (*r).len = len as u32;
        // The verifier must see a length in [1, DNS_LEN] in the register
        // passed to the helper. Reading the stored length back through a
        // volatile load hides its value from LLVM, so the masking below is
        // not folded away and the verifier can bound it.
        let stored = core::ptr::read_volatile(&raw const (*r).len);
        let n = (stored.wrapping_sub(1) & (DNS_LEN as u32 - 1)) + 1;
        bpf_skb_load_bytes(
            ctx.skb.skb as *const c_void,
            payload as u32,
            (&raw mut (*r).payload).cast(),
            n,
        )
    };
    if copied == 0 {
        crate::submit(entry);
    } else {
        entry.discard(0);
    }
    Ok(())
}
