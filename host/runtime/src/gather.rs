//! A batch of encoded events lowered straight into a guest's memory.
//!
//! `on-events` takes the batch as a `list<u8>`. Lowering a host `&[u8]`
//! means framing the batch in a host buffer first and then copying that
//! buffer into the guest: every byte of every event copied twice. The
//! events are already encoded (once, however many detectors get them), so
//! [`Gather`] lowers the `list<u8>` itself: it asks the guest's allocator
//! for the batch's size and writes the frame and each event into that
//! memory directly — one copy.
//!
//! It implements wasmtime's lowering traits the way `#[derive(Lower)]`
//! does, through the items wasmtime exports for derived code; the
//! workspace pins wasmtime's version, and the sandbox tests deliver every
//! batch through this type.

use std::mem::MaybeUninit;

use sandtrap_wire::BatchFrame;
use wasmtime::ValRaw;
use wasmtime::component::__internal::{
    CanonicalAbiInfo, InstanceType, InterfaceType, LowerContext,
};
use wasmtime::component::{ComponentType, Lower};

/// Encoded events to write as one batch (`docs/wire-encoding.md`) in guest
/// memory, with the frame the caller planned for them before the call, so
/// that a batch too large to frame is refused without a call rather than
/// failing in the middle of one.
pub(crate) struct Gather<'a> {
    pub(crate) frame: &'a BatchFrame,
    pub(crate) events: &'a [&'a [u8]],
}

impl Gather<'_> {
    /// Allocates the batch in the guest and writes it there; returns the
    /// guest pointer and length of the list.
    fn store<T>(&self, cx: &mut LowerContext<'_, T>) -> wasmtime::Result<(usize, usize)> {
        // `realloc` checks that the block it returns lies inside memory.
        let len = self.frame.len();
        let ptr = cx.realloc(0, 0, 1, len)?;
        let dst = &mut cx.as_slice_mut()[ptr..][..len];
        self.frame
            .write(dst, self.events)
            .map_err(|e| wasmtime::format_err!("framing the batch: {e}"))?;
        Ok((ptr, len))
    }
}

#[allow(
    unsafe_code,
    reason = "wasmtime's lowering traits are unsafe to implement"
)]
// SAFETY: `Lower` is two `ValRaw`s (pointer and length), the flat form of
// a `list<u8>`, whose canonical ABI is a pointer pair; `typecheck` accepts
// exactly the type `[u8]` accepts.
unsafe impl ComponentType for Gather<'_> {
    type Lower = [ValRaw; 2];

    const ABI: CanonicalAbiInfo = CanonicalAbiInfo::POINTER_PAIR;

    fn typecheck(ty: &InterfaceType, types: &InstanceType<'_>) -> wasmtime::Result<()> {
        <[u8] as ComponentType>::typecheck(ty, types)
    }
}

#[allow(
    unsafe_code,
    reason = "wasmtime's lowering traits are unsafe to implement"
)]
// SAFETY: both lowerings write a list that `store` placed inside the
// guest's memory, in the layout `[u8]`'s lowering uses.
unsafe impl Lower for Gather<'_> {
    fn linear_lower_to_flat<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        _ty: InterfaceType,
        dst: &mut MaybeUninit<[ValRaw; 2]>,
    ) -> wasmtime::Result<()> {
        let (ptr, len) = self.store(cx)?;
        // Pointers are always written as 64-bit values, as wasmtime's own
        // lowering does; the guest reads the low 32 bits.
        dst.write([ValRaw::i64(ptr as i64), ValRaw::i64(len as i64)]);
        Ok(())
    }

    fn linear_lower_to_memory<T>(
        &self,
        cx: &mut LowerContext<'_, T>,
        _ty: InterfaceType,
        offset: usize,
    ) -> wasmtime::Result<()> {
        let (ptr, len) = self.store(cx)?;
        *cx.get::<4>(offset) = u32::try_from(ptr)?.to_le_bytes();
        *cx.get::<4>(offset + 4) = u32::try_from(len)?.to_le_bytes();
        Ok(())
    }
}
