//! The state behind the exported functions: one detector value per instance.

use std::any::Any;
use std::cell::RefCell;

use crate::{Batch, BatchOutput, Config, Detector, IndexedDetection, IndexedError};

thread_local! {
    // A component instance is single-threaded; this is its one detector.
    static STATE: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

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
/// is looked up once per batch, not once per event.
pub fn on_events<T: Detector>(batch: &[u8]) -> BatchOutput {
    let batch = Batch::new(batch);
    let mut out = BatchOutput {
        detections: Vec::new(),
        errors: Vec::new(),
    };
    let index = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let Some(d) = s.as_mut().and_then(|b| b.downcast_mut::<T>()) else {
            out.errors.extend((0..batch.len()).map(|i| IndexedError {
                index: index(i),
                message: "detector called before init".to_owned(),
            }));
            return;
        };
        for (i, ev) in batch.iter().enumerate() {
            match d.on_event(&ev) {
                Ok(list) => {
                    out.detections
                        .extend(list.into_iter().map(|detection| IndexedDetection {
                            index: index(i),
                            detection,
                        }))
                }
                Err(message) => out.errors.push(IndexedError {
                    index: index(i),
                    message,
                }),
            }
        }
    });
    out
}

/// `close` export.
pub fn close<T: Detector>() {
    let _ = with::<T, _>(|d| {
        d.close();
        Ok(())
    });
    STATE.with(|s| *s.borrow_mut() = None);
}
