//! The state behind the exported functions: one detector value per instance.

use std::any::Any;
use std::cell::RefCell;

use crate::detection::{Found, encode_output};
use crate::{Batch, Config, Detector};

thread_local! {
    // A component instance is single-threaded; this is its one detector.
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
    // The output buffer, kept between calls so reporting allocates nothing.
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A larger output buffer is freed after its call rather than kept.
const MAX_KEPT_OUTPUT: usize = 1 << 20;

/// `init` export: builds the detector and keeps it.
pub fn init<T: Detector>(config: Vec<(String, String)>) -> Result<(), String> {
    let detector = T::init(&Config::new(config))?;
    STATE.with(|s| *s.borrow_mut() = Some(Box::new(detector)));
    Ok(())
}

fn with<T: Detector, R>(f: impl FnOnce(&mut T) -> Result<R, String>) -> Result<R, String> {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        match s.as_mut().and_then(|b| b.downcast_mut::<T>()) {
            Some(d) => f(d),
            None => Err("detector called before init".to_owned()),
        }
    })
}

/// `on-events` export: the events in order, errors kept per event, so
/// one event the detector cannot handle costs only itself. The detector
/// is looked up once per batch, not once per event; what it found goes to
/// the host in one `report` call, and a batch that found nothing makes
/// none.
pub fn on_events<T: Detector>(batch: &[u8]) {
    let batch = Batch::new(batch);
    let mut found: Vec<(u32, Found)> = Vec::new();
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let Some(d) = s.as_mut().and_then(|b| b.downcast_mut::<T>()) else {
            found.extend((0..batch.len()).map(|i| {
                (
                    index(i),
                    Found::Error("detector called before init".to_owned()),
                )
            }));
            return;
        };
        each_event(d, batch, &mut found);
    });
    if found.is_empty() {
        return;
    }
    OUTPUT.with(|out| {
        let mut out = out.borrow_mut();
        match encode_output(&mut out, &found) {
            Ok(()) => crate::bindings::sandtrap::detector::host::report(&out),
            // Beyond 4 GiB, which the memory cap rules out.
            Err(e) => crate::log::error(&format!("output not reported: {e}")),
        }
        if out.capacity() > MAX_KEPT_OUTPUT {
            *out = Vec::new();
        }
    });
}

/// The loop over a batch, in a function of its own: inlined into
/// `on_events` with the rest of the export, the compiled loop kept its
/// values on the stack rather than in registers, and this loop runs for
/// every event a detector receives. What an event found is kept out of
/// line for the same reason.
#[inline(never)]
fn each_event<T: Detector>(d: &mut T, batch: Batch<'_>, found: &mut Vec<(u32, Found)>) {
    for (i, ev) in batch.iter().enumerate() {
        let index = index(i);
        match d.on_event(&ev) {
            // Most events find nothing: keep that path to a test.
            Ok(list) if list.is_empty() => {}
            Ok(list) => keep(found, index, list),
            Err(message) => keep_error(found, index, message),
        }
    }
}

/// An event's index in its batch, as the output records it (a batch holds
/// far fewer than `u32::MAX` events).
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[cold]
#[inline(never)]
fn keep(found: &mut Vec<(u32, Found)>, index: u32, list: Vec<crate::Detection>) {
    found.extend(list.into_iter().map(|d| (index, Found::Detection(d))));
}

#[cold]
#[inline(never)]
fn keep_error(found: &mut Vec<(u32, Found)>, index: u32, message: String) {
    found.push((index, Found::Error(message)));
}

/// `close` export.
pub fn close<T: Detector>() {
    let _ = with::<T, _>(|d| {
        d.close();
        Ok(())
    });
    STATE.with(|s| *s.borrow_mut() = None);
}
