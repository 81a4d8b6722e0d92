//! The mock host: test sandtrap detectors without a kernel.
//!
//! The same runtime and stores as the live host, fed from fixtures instead
//! of eBPF, bounded by fuel instead of wall time and reading a fixed clock,
//! so a scenario gives the same result on every machine. Two faces: this
//! library for `cargo test`, and `sandtrap test DETECTOR.wasm SCENARIO.yaml`
//! for authors in any language.
//!
//! ```no_run
//! use sandtrap_testkit::{Scenario, run_scenario};
//! # fn main() -> anyhow::Result<()> {
//! let scenario = Scenario::from_file("scenarios/memfd.yaml".as_ref())?;
//! let report = run_scenario("fileless_exec.wasm".as_ref(), &scenario)?;
//! assert!(report.passed(), "{report}");
//! # Ok(()) }
//! ```

mod error;
mod host;
mod report;
mod scenario;

pub use error::TestkitError;
pub use host::{MOCK_BOOT_TIME, MockHost, MockHostBuilder, mock_system};
pub use report::{ScenarioReport, run_scenario, run_scenario_cached};
pub use scenario::{
    DnsFixture, Expectation, ExtraDetector, ProcessFixture, ReputationFixture, Scenario,
    SourcedEntry, StoreFixtures,
};
