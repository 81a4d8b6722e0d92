//! The registry of writable stores: registration, ownership and opening by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;
use sandtrap_model::{ConflictPolicy, StoreError};

use crate::clock::Clock;
use crate::reputation::{ReputationLimits, ReputationStore};

/// Names of the built-in stores; a writable store may not shadow one.
pub(crate) const BUILTIN_NAMES: [&str; 6] =
    ["process", "container", "system", "syscall", "symbol", "dns"];

/// Writable IP-reputation stores by name. The detector that registers a
/// name owns it; only the owner's `register` returns the store again.
pub struct ReputationStores {
    stores: RwLock<BTreeMap<String, Arc<ReputationStore>>>,
    limits: ReputationLimits,
    clock: Arc<dyn Clock>,
}

/// `[a-z0-9][a-z0-9_.-]{0,63}`.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    let tail_ok =
        |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'-');
    (1..=64).contains(&b.len())
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b[1..].iter().all(tail_ok)
}

impl ReputationStores {
    /// No stores yet; `limits` bound the count and every store's size.
    pub fn new(limits: ReputationLimits, clock: Arc<dyn Clock>) -> Self {
        Self {
            stores: RwLock::default(),
            limits,
            clock,
        }
    }

    /// Creates store `name` owned by `owner`, or, when `owner` already owns
    /// it, updates its policy and priorities and returns it. Another
    /// owner's name fails with `InvalidArgument` naming that owner.
    pub fn register(
        &self,
        name: &str,
        owner: &str,
        policy: ConflictPolicy,
        priorities: &[(String, u32)],
    ) -> Result<Arc<ReputationStore>, StoreError> {
        if !valid_name(name) {
            return Err(StoreError::InvalidArgument(format!(
                "store name {:?} must match [a-z0-9][a-z0-9_.-]{{0,63}}",
                crate::metrics::bounded(name, 80)
            )));
        }
        if BUILTIN_NAMES.contains(&name) {
            return Err(StoreError::InvalidArgument(format!(
                "{name:?} is the name of a built-in store"
            )));
        }
        if owner.is_empty() {
            return Err(StoreError::InvalidArgument("a store needs an owner".into()));
        }
        let mut stores = self.stores.write();
        if let Some(existing) = stores.get(name) {
            if existing.owner() != owner {
                return Err(StoreError::InvalidArgument(format!(
                    "store {name:?} is owned by detector {:?}",
                    existing.owner()
                )));
            }
            existing.configure(policy, priorities)?;
            return Ok(existing.clone());
        }
        if stores.len() >= self.limits.max_stores {
            return Err(StoreError::InvalidArgument(format!(
                "at most {} writable stores may be registered",
                self.limits.max_stores
            )));
        }
        let store = Arc::new(ReputationStore::new(
            name,
            owner,
            policy,
            priorities,
            self.limits,
            self.clock.clone(),
        )?);
        stores.insert(name.to_owned(), store.clone());
        tracing::debug!(store = name, owner, "writable store registered");
        Ok(store)
    }

    /// The store called `name`, for reading.
    pub fn open(&self, name: &str) -> Result<Arc<ReputationStore>, StoreError> {
        self.stores
            .read()
            .get(name)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.stores.read().keys().cloned().collect()
    }

    /// Stores registered.
    pub fn len(&self) -> usize {
        self.stores.read().len()
    }

    /// True when none is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::traits::DataStore;

    fn stores(max: usize) -> ReputationStores {
        ReputationStores::new(
            ReputationLimits {
                max_stores: max,
                ..Default::default()
            },
            Arc::new(FixedClock::new(1)),
        )
    }

    #[test]
    fn owner_gets_the_same_store_back_others_are_refused() {
        let s = stores(4);
        let a = s
            .register("ip_reputation", "det-a", ConflictPolicy::MaxSeverity, &[])
            .unwrap();
        let again = s
            .register(
                "ip_reputation",
                "det-a",
                ConflictPolicy::Priority,
                &[("feed".into(), 5)],
            )
            .unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(a.policy(), ConflictPolicy::Priority);
        let err = s
            .register("ip_reputation", "det-b", ConflictPolicy::MaxSeverity, &[])
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidArgument(m) if m.contains("det-a")),
            "{err:?}"
        );
        let meta = s.open("ip_reputation").unwrap().metadata();
        assert_eq!(
            (meta.writable, meta.owner.as_deref()),
            (true, Some("det-a"))
        );
    }

    #[test]
    fn names_are_validated() {
        let s = stores(64);
        for good in ["a", "0", "ip_rep.v2-x", &"a".repeat(64)] {
            assert!(
                s.register(good, "o", ConflictPolicy::LastWriteWins, &[])
                    .is_ok(),
                "{good}"
            );
        }
        for bad in [
            "",
            "A",
            "_a",
            "-a",
            ".a",
            "a b",
            "a/b",
            "é",
            &"a".repeat(65),
            "dns",
            "process",
        ] {
            assert!(
                matches!(
                    s.register(bad, "o", ConflictPolicy::LastWriteWins, &[]),
                    Err(StoreError::InvalidArgument(_))
                ),
                "{bad:?}"
            );
        }
        assert!(
            s.register("x", "", ConflictPolicy::LastWriteWins, &[])
                .is_err()
        );
    }

    #[test]
    fn count_is_capped_and_open_finds_only_registered() {
        let s = stores(2);
        s.register("a", "o", ConflictPolicy::LastWriteWins, &[])
            .unwrap();
        s.register("b", "o", ConflictPolicy::LastWriteWins, &[])
            .unwrap();
        assert!(matches!(
            s.register("c", "o", ConflictPolicy::LastWriteWins, &[]),
            Err(StoreError::InvalidArgument(_))
        ));
        assert!(
            s.register("a", "o", ConflictPolicy::MaxSeverity, &[])
                .is_ok(),
            "re-registering is not a new store"
        );
        assert_eq!(s.names(), ["a", "b"]);
        assert!(matches!(s.open("c"), Err(StoreError::NotFound)));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn bad_priorities_are_refused() {
        let s = stores(4);
        let long = [("x".repeat(65), 1)];
        assert!(
            s.register("p", "o", ConflictPolicy::Priority, &long)
                .is_err()
        );
        assert!(
            s.open("p").is_err(),
            "a refused registration leaves nothing behind"
        );
    }
}
