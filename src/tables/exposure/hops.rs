//! `eni_exposure`'s `hops_json`, a computed column ([`crate::tables::computed`]): a row's hops
//! are written when a consumer asks for them, from its configuration's path, so the view never
//! holds every interface's hops at once (about 3 KB of text an interface, larger than its
//! evidence). The paths of the configurations asked for last are kept in a [`PathCache`] of a
//! fixed number of slots: the rows of a configuration share its evaluation without the view
//! holding every configuration's.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Result, bail};

use super::columns::row_interface;
use super::eni::Eni;
use super::evaluation::{self, VersionPath};
use super::network::ConfigKey;
use crate::reach::{Evaluation, Query};
use crate::report::path::hop_json;
use crate::tables::Tables;

/// A hop of a configuration's path as its rows write it: the same text for every row, or the
/// row's own hop ([`evaluation::is_interface_own`]), written per row.
enum HopText {
    Shared(String),
    Own,
}

/// What every interface of one configuration shares in its `hops_json`: the evaluation of the
/// path's IP version (for the interfaces' own hops) and the text of the hops that are not an
/// interface's own.
struct ConfigPath {
    eval: Evaluation,
    nat_gateway: bool,
    hops: Vec<HopText>,
}

impl ConfigPath {
    /// Evaluates the configuration of `eni` over its path's IP version (the only one its hops
    /// show) and writes the hops its interfaces share.
    fn new(tables: &Tables, eni: &Eni) -> Result<ConfigPath> {
        let version = eni.primary_version();
        let mut path = ConfigPath {
            eval: tables
                .network()
                .evaluate_in(eni, version, &Query::default()),
            nat_gateway: eni.is_nat_gateway(),
            hops: Vec::new(),
        };
        path.hops = (path.version_path(eni).hops(eni).iter())
            .map(|h| match evaluation::is_interface_own(h) {
                true => Ok(HopText::Own),
                false => Ok(HopText::Shared(serde_json::to_string(&hop_json(
                    tables, h,
                )?)?)),
            })
            .collect::<Result<_>>()?;
        Ok(path)
    }

    /// The path of `eni`'s IP version, as [`EniEvaluation::hops`](super::EniEvaluation::hops)
    /// gives it.
    fn version_path(&self, eni: &Eni) -> VersionPath<'_> {
        VersionPath {
            eval: &self.eval,
            version: eni.primary_version(),
            nat_gateway: self.nat_gateway,
        }
    }

    /// The `hops_json` text of `eni`, an interface of this configuration: the text
    /// [`hops_json`](crate::report::path::hops_json) gives for its hops, the shared hops
    /// copied and only its own written.
    fn write(&self, tables: &Tables, eni: &Eni, out: &mut String) -> Result<()> {
        let mut own = self.version_path(eni).own_hops(eni).into_iter();
        out.clear();
        out.push('[');
        for (i, hop) in self.hops.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match hop {
                HopText::Shared(text) => out.push_str(text),
                HopText::Own => {
                    let Some(hop) = own.next() else {
                        bail!(
                            "{}: its own hops do not fill its configuration's path (a bug in \
                             snapaudit; please report it with this message)",
                            eni.id
                        );
                    };
                    out.push_str(&serde_json::to_string(&hop_json(tables, &hop)?)?);
                }
            }
        }
        out.push(']');
        Ok(())
    }
}

/// Slots of the [`PathCache`]: a configuration's path is a few kilobytes, so the cache stays
/// under a few megabytes.
const SLOTS: usize = 1024;

/// A slot's configuration and its path.
type Held = (ConfigKey, Arc<ConfigPath>);

/// The paths of recently asked configurations, a fixed number of slots, each holding the last
/// configuration whose key hashes to it. Which paths it holds changes only the time a row
/// takes, never its text.
pub struct PathCache {
    slots: Vec<Mutex<Option<Held>>>,
    hasher: foldhash::fast::FixedState,
}

impl Default for PathCache {
    fn default() -> Self {
        PathCache {
            slots: (0..SLOTS).map(|_| Mutex::new(None)).collect(),
            hasher: foldhash::fast::FixedState::default(),
        }
    }
}

impl PathCache {
    /// The path of `eni`'s configuration, evaluated unless its slot holds it.
    fn path(&self, tables: &Tables, eni: &Eni) -> Result<Arc<ConfigPath>> {
        let key = tables.network().config_key(eni);
        let slot = &self.slots[self.hasher.hash_one(&key) as usize % SLOTS];
        let held = |s: &Option<Held>| {
            s.as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, p)| p.clone())
        };
        if let Some(path) = held(&slot.lock().unwrap_or_else(PoisonError::into_inner)) {
            return Ok(path);
        }
        let path = Arc::new(ConfigPath::new(tables, eni)?);
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some((key, path.clone()));
        Ok(path)
    }
}

/// Writes the `hops_json` of row `row` of `eni_exposure` (interface `row` of the network) into
/// `out`: the text the column held when the view stored it.
pub fn write_hops(tables: &Tables, row: usize, out: &mut String) -> Result<()> {
    let eni = row_interface(tables, row)?;
    tables
        .exposure_paths()
        .path(tables, eni)?
        .write(tables, eni, out)
}
