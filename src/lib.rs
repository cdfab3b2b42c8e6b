//! snapaudit: offline audit of the network exposure of AWS workloads from exported evidence.
//!
//! The pipeline runs one way: [`evidence`] → [`tables`] (with [`reach`], the exact exposure
//! engine, behind the `eni_exposure` view) → [`rules`] → [`report`]. ARCHITECTURE.md is the map.

#![warn(missing_docs)]
// Functions stay readable in one sitting: at most 80 lines of code (clippy.toml).
#![warn(clippy::too_many_lines)]

pub mod allocator;
pub mod collect;
pub mod diff;
pub mod evidence;
pub mod export;
pub mod progress;
pub mod provenance;
pub mod reach;
pub mod report;
pub mod rules;
pub mod shard;
pub mod tables;
