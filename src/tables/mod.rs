//! Tables: one polars DataFrame per resource kind, plus joined views, built once from the evidence.
//! Every row carries `*_ref` columns naming the evidence records it was built from.

mod build;
pub mod computed;
pub mod ec2;
pub mod ecs;
pub mod egress;
pub mod elb;
pub mod exposure;
pub mod flow;
pub mod flow_view;
pub mod frame;
pub mod net;
pub mod remediation;
pub mod row;
pub mod scope;
pub mod security_groups;
pub mod status;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::{Result, bail};
use polars::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::evidence::{Evidence, EvidenceFile, Kind, Source};
use computed::Computed;

/// A compact reference to an evidence record, stored in `*_ref` columns: `FILE:DOCUMENT:POINTER`.
pub fn source_ref(source: &Source) -> String {
    format!("{}:{}:{}", source.file, source.document, source.pointer)
}

/// An evidence record as rows, findings and reach output cite it. The fields are in name order,
/// the order of a serialised [`Value`] object, so writing this struct and writing its
/// [`Value`] give the same text.
#[derive(Debug, Serialize)]
pub struct EvidenceRef<'a> {
    /// Index of the JSON document in the file.
    pub document: u32,
    /// The file, relative to the scanned root.
    pub file: &'a str,
    /// RFC 6901 pointer to the record.
    pub pointer: &'a str,
    /// What the record is evidence of (a hop name, a `*_ref` column's role).
    pub role: &'a str,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: &'a str,
}

impl<'a> EvidenceRef<'a> {
    /// The record at `pointer` of document `document` of `file`, as evidence of `role`.
    pub fn new(role: &'a str, file: &'a EvidenceFile, document: u32, pointer: &'a str) -> Self {
        EvidenceRef {
            document,
            file: &file.file,
            pointer,
            role,
            sha256: &file.sha256,
        }
    }
}

/// The tables built from one evidence set.
pub struct Tables {
    frames: BTreeMap<&'static str, DataFrame>,
    files: Vec<EvidenceFile>,
    network: exposure::Network,
    /// The views of [`VIEWS`], each evaluated on first use: `reach` and scans whose rules do
    /// not read them never pay for evaluating every interface and path.
    views: [OnceLock<DataFrame>; VIEWS.len()],
    /// Every load-balancer path, evaluated on first use.
    lb: OnceLock<exposure::LbAnswers>,
    /// The paths of the configurations whose `eni_exposure` hops were asked for last.
    exposure_paths: exposure::PathCache,
}

/// A view built on demand from the others.
struct View {
    name: &'static str,
    /// Builds the frame of its stored columns.
    build: fn(&Tables) -> Result<DataFrame>,
    /// Its columns written per row when asked for ([`computed`]).
    computed: &'static [Computed],
}

/// The views built on demand, by name.
const VIEWS: [View; 5] = [
    View {
        name: "eni_exposure",
        build: exposure::eni_exposure,
        computed: exposure::ENI_EXPOSURE_COMPUTED,
    },
    View {
        name: "network_interfaces",
        build: ec2::network_interfaces,
        computed: &[],
    },
    View {
        name: "lb_exposure",
        build: exposure::lb_exposure,
        computed: &[],
    },
    View {
        name: "load_balancer_exposure",
        build: exposure::load_balancer_exposure,
        computed: &[],
    },
    View {
        name: "flow_observations",
        build: flow_view::flow_observations,
        computed: &[],
    },
];

impl Tables {
    /// Builds every table and view; warns (into `evidence.warnings`) about running tasks whose ENI
    /// is missing from the evidence. The tables take the typed records over and free each kind
    /// once the last step that reads it is done (only their counts stay, see
    /// [`Evidence::count`]): they are most of the memory of a large scan, and the views and rules
    /// that come next never read them. Values the engine cannot use are warnings ([`validate`]).
    pub fn build(evidence: &mut Evidence) -> Result<Tables> {
        let mut records = evidence.take_records();
        let invalid = validate::warnings(&records, &evidence.files);
        evidence.warnings.extend(invalid);
        // Flow records were aggregated per file as read; the files' summaries are folded here,
        // and the CloudWatch Logs events, read by nothing else, freed.
        let delivered = std::mem::take(&mut evidence.flow);
        let (flow_records, unread) = flow::flow_records(delivered, &records, &evidence.files)?;
        evidence.errors.extend(unread);
        records.take_kinds(&[Kind::LogEvents]).release();
        let (mut frames, network) = build::frames_and_network(records, &evidence.files)?;
        frames.insert("flow_records", flow_records);
        let tables = Tables {
            frames,
            files: evidence.files.clone(),
            network,
            views: Default::default(),
            lb: OnceLock::new(),
            exposure_paths: Default::default(),
        };
        tables.warn_missing_enis(evidence)?;
        Ok(tables)
    }

    /// The reachability engine's inputs for every interface of the evidence.
    pub fn network(&self) -> &exposure::Network {
        &self.network
    }

    /// Every load-balancer path of the evidence, evaluated (once, on first use).
    pub fn lb_answers(&self) -> &exposure::LbAnswers {
        self.lb.get_or_init(|| exposure::lb_answers(&self.network))
    }

    /// The cache of configurations' paths behind `eni_exposure`'s `hops_json`.
    fn exposure_paths(&self) -> &exposure::PathCache {
        &self.exposure_paths
    }

    /// Every table name, in name order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.frames.keys().copied().collect();
        names.extend(VIEWS.iter().map(|view| view.name));
        names.sort_unstable();
        names
    }

    /// The tables built with the evidence (every table but the views of [`VIEWS`]), by name.
    /// A view's computed columns are not in its frame ([`computed`]).
    pub fn eager(&self) -> impl Iterator<Item = (&'static str, &DataFrame)> {
        self.frames.iter().map(|(name, df)| (*name, df))
    }

    /// One table's stored columns by name (a view's computed columns are not among them: see
    /// [`Tables::columns`], [`Tables::row`], [`Tables::frame_of`]); an unknown name lists the
    /// known ones.
    pub fn get(&self, name: &str) -> Result<&DataFrame> {
        if let Some(i) = VIEWS.iter().position(|view| view.name == name) {
            if let Some(df) = self.views[i].get() {
                return Ok(df);
            }
            let df = (VIEWS[i].build)(self)?;
            return Ok(self.views[i].get_or_init(|| df));
        }
        match self.frames.get(name) {
            Some(df) => Ok(df),
            None => bail!(
                "no table named `{name}`; tables are: {}",
                self.names().join(", ")
            ),
        }
    }

    /// Row `i` of a table as a JSON object (see [`row`]: `*_ref` columns become an `evidence`
    /// array, a `X_json` column appears as `X`, parsed).
    pub fn row(&self, table: &str, i: usize) -> Result<Value> {
        self.row_cells(table, i, None)?.into_json(table)
    }

    /// Expands a `FILE:DOCUMENT:POINTER` reference (as written by [`source_ref`]).
    pub fn resolve(&self, role: &str, reference: &str) -> Result<Value> {
        let (file, document, pointer) = self.locate(reference)?;
        Ok(serde_json::to_value(EvidenceRef::new(
            role, file, document, pointer,
        ))?)
    }

    /// The file, document and pointer a `FILE:DOCUMENT:POINTER` reference names, borrowed.
    pub fn locate<'a>(&'a self, reference: &'a str) -> Result<(&'a EvidenceFile, u32, &'a str)> {
        let bad = || anyhow::anyhow!("bad evidence reference {reference}");
        let mut parts = reference.splitn(3, ':');
        let (file, document, pointer) = (parts.next(), parts.next(), parts.next());
        let file: u32 = file.unwrap_or_default().parse().map_err(|_| bad())?;
        let document: u32 = document.unwrap_or_default().parse().map_err(|_| bad())?;
        Ok((self.file(file)?, document, pointer.unwrap_or_default()))
    }

    /// Evidence file number `file`.
    fn file(&self, file: u32) -> Result<&EvidenceFile> {
        match self.files.get(file as usize) {
            Some(f) => Ok(f),
            None => bail!(
                "evidence reference to file #{file} outside the {} files read",
                self.files.len()
            ),
        }
    }

    /// An evidence record as `{role, file, sha256, document, pointer}`, the shape of every
    /// `evidence` entry in rows, findings and reach output.
    pub fn source_json(&self, role: &str, source: &Source) -> Result<Value> {
        Ok(serde_json::to_value(self.evidence_ref(role, source)?)?)
    }

    /// The borrowed form of [`Tables::source_json`], serialised as it is without building a
    /// JSON value (the views write one per hop record).
    pub fn evidence_ref<'a>(
        &'a self,
        role: &'a str,
        source: &'a Source,
    ) -> Result<EvidenceRef<'a>> {
        let file = self.file(source.file)?;
        Ok(EvidenceRef::new(
            role,
            file,
            source.document,
            &source.pointer,
        ))
    }

    /// A running task whose ENI is not in the evidence stays in `ecs_task_network` (`eni_found`
    /// false); the scan says which ENI is missing.
    fn warn_missing_enis(&self, evidence: &mut Evidence) -> Result<()> {
        let missing = self.frames["ecs_task_network"]
            .clone()
            .lazy()
            .filter(
                col("eni_found")
                    .not()
                    .and(col("eni_id").is_not_null())
                    .and(col("last_status").eq(lit("RUNNING"))),
            )
            .select([col("eni_id"), col("task_arn"), col("task_ref")])
            .collect()?;
        for row in 0..missing.height() {
            let get = |c: &str| -> Result<String> {
                Ok(missing
                    .column(c)?
                    .str()?
                    .get(row)
                    .unwrap_or_default()
                    .to_string())
            };
            let reference = get("task_ref")?;
            let at = self.resolve("task", &reference)?;
            evidence.warnings.push(crate::evidence::Diagnostic {
                pointer: at["pointer"].as_str().map(String::from),
                ..crate::evidence::Diagnostic::file(
                    at["file"].as_str().unwrap_or_default(),
                    format!(
                        "running task {} uses ENI {}, which is not in the evidence; export \
                         describe-network-interfaces for it to know whether it holds a public IP",
                        get("task_arn")?,
                        get("eni_id")?
                    ),
                )
            });
        }
        Ok(())
    }
}

/// A polars value as JSON (strings, numbers, booleans, lists; anything else as its text).
pub fn any_to_json(v: AnyValue) -> Value {
    // A polars value is never JSON text, so it always converts.
    row::any_to_cell(v).into_json().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::EvidenceRef;
    use crate::report::path::HopJson;

    /// The borrowed shapes are written as their JSON values are: fields in name order.
    #[test]
    fn borrowed_shapes_write_the_text_of_their_values() {
        let evidence = || EvidenceRef {
            document: 2,
            file: "a/\"b\".json",
            pointer: "/X/1",
            role: "route",
            sha256: "00ff",
        };
        let hop = HopJson {
            detail: "rtb-1 has no route \u{2026}",
            evidence: vec![evidence(), evidence()],
            hop: "route",
            verdict: "fail",
        };
        let value = serde_json::to_value(&hop).unwrap();
        assert_eq!(serde_json::to_string(&hop).unwrap(), value.to_string());
        assert_eq!(value["evidence"][1]["file"], "a/\"b\".json");
        let cell = super::row::Cell::from(evidence());
        assert_eq!(
            cell.into_json().unwrap(),
            serde_json::to_value(evidence()).unwrap(),
            "a row's evidence cell is the entry's JSON"
        );
    }
}
