//! snapaudit: offline audit of the network exposure of AWS workloads from exported evidence.
//!
//! The pipeline runs one way: [`evidence`] → [`tables`] → [`rules`] → [`report`].

#![warn(missing_docs)]

pub mod evidence;
pub mod reach;
pub mod report;
pub mod rules;
pub mod tables;
