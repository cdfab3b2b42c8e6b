//! The flow log part of `snapaudit evidence`: per VPC, which interfaces have flow log records
//! and for which window. A VPC with none says whether a flow log is configured for it: either
//! way its traffic is unknown, never "no traffic".

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::tables::Tables;

/// One interface's flow records.
#[derive(Debug, Clone, Serialize)]
pub struct InterfaceWindow {
    /// The interface.
    pub network_interface_id: String,
    /// First record's start (RFC 3339).
    pub from: Option<String>,
    /// Last record's end (RFC 3339).
    pub to: Option<String>,
    /// Records, NODATA and SKIPDATA included.
    pub records: i64,
}

/// One VPC's flow log coverage.
#[derive(Debug, Clone, Serialize)]
pub struct VpcFlowCoverage {
    /// The VPC (`-` for interfaces the evidence does not place in one).
    pub vpc_id: String,
    /// Interfaces of the VPC in the evidence.
    pub interfaces: usize,
    /// Those with flow records, and their window.
    pub with_records: Vec<InterfaceWindow>,
    /// Flow logs `describe-flow-logs` lists for the VPC.
    pub flow_logs: Vec<String>,
}

/// Flow log coverage per VPC, in VPC order.
pub fn flow_coverage(tables: &Tables) -> Result<Vec<VpcFlowCoverage>> {
    let text = |table: &str, column: &str| -> Result<Vec<Option<String>>> {
        let c = tables.get(table)?.column(column)?.str()?.clone();
        Ok(c.iter().map(|v| v.map(String::from)).collect())
    };
    let mut windows: BTreeMap<String, InterfaceWindow> = BTreeMap::new();
    let records = tables
        .get("flow_records")?
        .column("records")?
        .i64()?
        .clone();
    let (ids, from, to) = (
        text("flow_records", "network_interface_id")?,
        text("flow_records", "first_seen")?,
        text("flow_records", "last_seen")?,
    );
    for (i, id) in ids.into_iter().enumerate() {
        let id = id.unwrap_or_default();
        let w = windows.entry(id.clone()).or_insert(InterfaceWindow {
            network_interface_id: id,
            from: None,
            to: None,
            records: 0,
        });
        w.records += records.get(i).unwrap_or_default();
        w.from = [w.from.take(), from[i].clone()].into_iter().flatten().min();
        w.to = [w.to.take(), to[i].clone()].into_iter().flatten().max();
    }
    let mut vpcs: BTreeMap<String, VpcFlowCoverage> = BTreeMap::new();
    // The interfaces from the network model, in `network_interfaces`' order, without building
    // that view.
    for eni in tables.network().enis_in_evidence_order() {
        let vpc = eni.vpc_id().unwrap_or("-").to_string();
        let entry = vpcs.entry(vpc.clone()).or_insert_with(|| VpcFlowCoverage {
            vpc_id: vpc,
            interfaces: 0,
            with_records: Vec::new(),
            flow_logs: Vec::new(),
        });
        entry.interfaces += 1;
        if let Some(w) = windows.get(eni.id.as_str()) {
            entry.with_records.push(w.clone());
        }
    }
    let resources = text("flow_logs", "resource_id")?;
    for (log, resource) in text("flow_logs", "flow_log_id")?.into_iter().zip(resources) {
        if let Some(v) = resource.and_then(|r| vpcs.get_mut(&r)) {
            v.flow_logs.extend(log);
        }
    }
    Ok(vpcs.into_values().collect())
}

/// Writes the flow log coverage for a terminal.
pub fn write_flow_coverage(out: &mut dyn Write, vpcs: &[VpcFlowCoverage]) -> Result<()> {
    writeln!(out, "\nFlow log records per VPC:")?;
    for v in vpcs {
        if v.with_records.is_empty() {
            let why = if v.flow_logs.is_empty() {
                "no flow log listed for it".to_string()
            } else {
                format!(
                    "flow log {} listed, its records not exported",
                    v.flow_logs.join(", ")
                )
            };
            writeln!(
                out,
                "  {}: no flow records ({why}): traffic to its {} interfaces is unknown, not absent",
                v.vpc_id, v.interfaces
            )?;
            continue;
        }
        writeln!(
            out,
            "  {}: {} of {} interfaces have flow records",
            v.vpc_id,
            v.with_records.len(),
            v.interfaces
        )?;
        for w in &v.with_records {
            writeln!(
                out,
                "    {}  {} to {}  {} records",
                w.network_interface_id,
                w.from.as_deref().unwrap_or("?"),
                w.to.as_deref().unwrap_or("?"),
                w.records
            )?;
        }
    }
    Ok(())
}
