//! The writable `ip-reputation` stores as WIT resources.
//!
//! A `writer` exists only in the resource table of the instance whose
//! detector registered the store; the component model gives other
//! instances no way to name it, so ownership needs no runtime check beyond
//! the one in `register`.

use std::sync::Arc;

use sandtrap_stores::ReputationStore;
use wasmtime::component::Resource;

use crate::bindings::ip_reputation::{
    ConflictPolicy, Host, HostReader, HostWriter, Reputation, SourcePriority,
};
use crate::bindings::types::StoreError;
use crate::convert::{self, store_error};
use crate::state::HostState;

/// Host side of a `reader` handle.
pub struct ReaderHandle {
    store: Arc<ReputationStore>,
}

/// Host side of a `writer` handle.
pub struct WriterHandle {
    store: Arc<ReputationStore>,
}

type Answer<T> = wasmtime::Result<Result<T, StoreError>>;

/// Longest batch a guest may write in one call.
const MAX_BATCH: usize = 10_000;

impl HostState {
    fn take_handle(&mut self) -> wasmtime::Result<()> {
        if self.handles >= self.config.max_handles {
            return Err(wasmtime::format_err!(
                "detector {} holds more than {} store handles",
                self.detector_id,
                self.config.max_handles
            ));
        }
        self.handles += 1;
        Ok(())
    }

    fn reader_store(&self, h: &Resource<ReaderHandle>) -> wasmtime::Result<Arc<ReputationStore>> {
        Ok(self.table.get(h)?.store.clone())
    }

    fn writer_store(&self, h: &Resource<WriterHandle>) -> wasmtime::Result<Arc<ReputationStore>> {
        Ok(self.table.get(h)?.store.clone())
    }
}

impl Host for HostState {
    fn register(
        &mut self,
        name: String,
        policy: ConflictPolicy,
        priorities: Vec<SourcePriority>,
    ) -> Answer<Resource<WriterHandle>> {
        self.charge_store_call()?;
        let priorities: Vec<(String, u32)> = priorities
            .into_iter()
            .map(|p| (p.source, p.priority))
            .collect();
        let store = match self.stores.reputation().register(
            &name,
            &self.detector_id,
            convert::policy_from_wit(policy),
            &priorities,
        ) {
            Ok(s) => s,
            Err(e) => return Ok(Err(store_error(e))),
        };
        self.take_handle()?;
        Ok(Ok(self.table.push(WriterHandle { store })?))
    }

    fn open(&mut self, name: String) -> Answer<Resource<ReaderHandle>> {
        self.charge_store_call()?;
        let store = match self.stores.reputation().open(&name) {
            Ok(s) => s,
            Err(e) => return Ok(Err(store_error(e))),
        };
        self.take_handle()?;
        Ok(Ok(self.table.push(ReaderHandle { store })?))
    }
}

impl HostReader for HostState {
    fn get(&mut self, h: Resource<ReaderHandle>, ip: String) -> Answer<Vec<u8>> {
        self.charge_store_call()?;
        let store = self.reader_store(&h)?;
        Ok(store.get_sourced(&ip).map_err(store_error).and_then(|s| {
            convert::records(std::iter::once(convert::reputation(
                &s.source,
                &s.reputation,
            )))
        }))
    }

    fn get_all(&mut self, h: Resource<ReaderHandle>, ip: String) -> Answer<Vec<u8>> {
        self.charge_store_call()?;
        let store = self.reader_store(&h)?;
        Ok(store.get_all(&ip).map_err(store_error).and_then(|v| {
            convert::records(
                v.iter()
                    .map(|s| convert::reputation(&s.source, &s.reputation)),
            )
        }))
    }

    fn is_blacklisted(&mut self, h: Resource<ReaderHandle>, ip: String) -> Answer<bool> {
        self.charge_store_call()?;
        let store = self.reader_store(&h)?;
        Ok(store.is_blacklisted(&ip).map_err(store_error))
    }

    fn list_sources(&mut self, h: Resource<ReaderHandle>) -> wasmtime::Result<Vec<String>> {
        self.charge_store_call()?;
        Ok(self.reader_store(&h)?.list_sources())
    }

    fn drop(&mut self, h: Resource<ReaderHandle>) -> wasmtime::Result<()> {
        self.table.delete(h)?;
        self.handles = self.handles.saturating_sub(1);
        Ok(())
    }
}

impl HostWriter for HostState {
    fn write(
        &mut self,
        h: Resource<WriterHandle>,
        source: String,
        entry: Reputation,
    ) -> Answer<()> {
        self.charge_store_call()?;
        let store = self.writer_store(&h)?;
        Ok(store
            .write(&source, convert::reputation_from_wit(entry))
            .map_err(store_error))
    }

    fn write_batch(
        &mut self,
        h: Resource<WriterHandle>,
        source: String,
        entries: Vec<Reputation>,
    ) -> Answer<u32> {
        self.charge_store_call()?;
        if entries.len() > MAX_BATCH {
            return Ok(Err(StoreError::InvalidArgument(format!(
                "batch of {} entries exceeds the limit of {MAX_BATCH}",
                entries.len()
            ))));
        }
        let store = self.writer_store(&h)?;
        let entries = entries
            .into_iter()
            .map(convert::reputation_from_wit)
            .collect();
        Ok(store.write_batch(&source, entries).map_err(store_error))
    }

    fn delete(&mut self, h: Resource<WriterHandle>, source: String, ip: String) -> Answer<bool> {
        self.charge_store_call()?;
        let store = self.writer_store(&h)?;
        Ok(store.delete(&source, &ip).map_err(store_error))
    }

    fn clear(&mut self, h: Resource<WriterHandle>, source: String) -> Answer<u32> {
        self.charge_store_call()?;
        let store = self.writer_store(&h)?;
        Ok(store.clear(&source).map_err(store_error))
    }

    fn list_sources(&mut self, h: Resource<WriterHandle>) -> wasmtime::Result<Vec<String>> {
        self.charge_store_call()?;
        Ok(self.writer_store(&h)?.list_sources())
    }

    fn reader(&mut self, h: Resource<WriterHandle>) -> wasmtime::Result<Resource<ReaderHandle>> {
        let store = self.writer_store(&h)?;
        self.take_handle()?;
        Ok(self.table.push(ReaderHandle { store })?)
    }

    fn drop(&mut self, h: Resource<WriterHandle>) -> wasmtime::Result<()> {
        self.table.delete(h)?;
        self.handles = self.handles.saturating_sub(1);
        Ok(())
    }
}
