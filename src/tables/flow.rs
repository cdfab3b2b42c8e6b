//! The `flow_records` table: flow log records aggregated per interface, direction, destination
//! port, protocol, action, record status and source class (internet or private): distinct
//! sources, records, packets, bytes and the window they were seen in. Records come from delivery
//! files (summarised as they were read, see [`crate::evidence::flow_summary`]) and from
//! CloudWatch Logs events (parsed here with the `LogFormat` of the flow log that delivers to
//! CloudWatch Logs); the summaries are folded into one and named in polars.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;

use super::source_ref;
use crate::evidence::flow::{ACTIONS, DIRECTIONS, FlowFormat, LOG_STATUSES};
use crate::evidence::flow_summary::{FlowKey, FlowSummary, FlowTotals};
use crate::evidence::{Diagnostic, EvidenceFile, Records, az_region};
use crate::reach::Protocol;

/// Marks a position as a CloudWatch Logs event's index in `Records::log_events`.
const EVENT: u64 = 1 << 63;

/// `flow_records`, and the problems found reading CloudWatch Logs events as flow records.
/// Each delivery file's summary is folded into one as it is taken, so only one is held whole.
pub fn flow_records(
    delivered: Vec<FlowSummary>,
    records: &Records,
    files: &[EvidenceFile],
) -> Result<(DataFrame, Vec<Diagnostic>)> {
    let (events, problems) = events_summary(records, files);
    let mut summaries = delivered.into_iter().chain([events]);
    let mut all = summaries.next().unwrap_or_default();
    summaries.for_each(|summary| all.absorb(summary));
    let interfaces = std::mem::take(&mut all.interfaces);
    let grouped = grouped_frame(all)?;
    Ok((named(&grouped, &interfaces, records)?, problems))
}

/// The CloudWatch Logs events read as flow records, with the format of the flow logs that
/// deliver there (the default when none says otherwise); each unreadable event is named.
fn events_summary(records: &Records, files: &[EvidenceFile]) -> (FlowSummary, Vec<Diagnostic>) {
    let mut summary = FlowSummary::default();
    let mut problems = Vec::new();
    if records.log_events.is_empty() {
        return (summary, problems);
    }
    let problem = |source: &crate::evidence::Source, message: String| Diagnostic {
        pointer: Some(source.pointer.clone()),
        ..Diagnostic::file(&files[source.file as usize].file, message)
    };
    let mut formats: Vec<(&crate::evidence::Source, Option<&str>)> = (records.flow_logs.iter())
        .filter(|f| f.item.log_destination_type.as_deref() == Some("cloud-watch-logs"))
        .map(|f| (&f.source, f.item.log_format.as_deref()))
        .collect();
    formats.dedup_by(|a, b| a.1 == b.1);
    let (at, format) = formats.first().copied().unzip();
    let format = match FlowFormat::from_log_format(format.flatten()) {
        Ok(format) => format,
        Err(why) => {
            problems.extend(at.map(|at| problem(at, format!("flow log format unusable: {why}"))));
            return (summary, problems);
        }
    };
    if formats.len() > 1 {
        let why = "flow logs delivering to CloudWatch Logs use different formats; the events were \
                   read with the first one's";
        problems.push(problem(formats[0].0, why.to_string()));
    }
    for (i, event) in records.log_events.iter().enumerate() {
        if let Err(why) = summary.push(&format, &event.item.message, EVENT | i as u64) {
            let why = format!("log event skipped, not a flow record: {why}");
            problems.push(problem(&event.source, why));
        }
    }
    (summary, problems)
}

/// One group of flow records: its key, totals and number of distinct sources.
type Group = (FlowKey, FlowTotals, u32);

/// The groups as a polars frame (codes, not names), one row per group.
fn grouped_frame(summary: FlowSummary) -> Result<DataFrame> {
    let groups = summary.groups();
    let columns = vec![
        column("interface", &groups, |g| g.0.interface),
        column("direction", &groups, |g| g.0.direction),
        column("port", &groups, |g| g.0.port),
        column("reply", &groups, |g| g.0.reply),
        column("protocol", &groups, |g| g.0.protocol),
        column("action", &groups, |g| g.0.action),
        column("status", &groups, |g| g.0.status),
        column("internet", &groups, |g| g.0.internet),
        column("sources", &groups, |g| g.2),
        column("records", &groups, |g| g.1.records),
        column("packets", &groups, |g| g.1.packets),
        column("bytes", &groups, |g| g.1.bytes),
        column("start", &groups, |g| g.1.start),
        column("end", &groups, |g| g.1.end),
        column("position", &groups, |g| g.1.position),
    ];
    Ok(DataFrame::new(groups.len(), columns)?)
}

/// One value of every group as a column.
fn column<V, Phantom: ?Sized>(name: &str, groups: &[Group], value: fn(&Group) -> V) -> Column
where
    Series: NamedFrom<Vec<V>, Phantom>,
{
    Column::new(name.into(), groups.iter().map(value).collect::<Vec<V>>())
}

/// The aggregated frame with names instead of codes, the interface's account and region, the
/// window as RFC 3339 and the earliest record's reference; sorted for a stable output.
fn named(grouped: &DataFrame, interfaces: &[String], records: &Records) -> Result<DataFrame> {
    let u32s = |name: &str| -> Result<Vec<Option<u32>>> {
        Ok(grouped.column(name)?.u32()?.iter().collect())
    };
    let name_of = |codes: Vec<Option<u32>>, names: &[&'static str]| -> Vec<Option<&'static str>> {
        codes
            .into_iter()
            .map(|c| c.map(|c| names[c as usize]))
            .collect()
    };
    let interface: Vec<&str> = (u32s("interface")?.into_iter())
        .map(|i| interfaces[i.unwrap_or_default() as usize].as_str())
        .collect();
    let (account, region) = account_and_region(&interface, records);
    let protocol: Vec<Option<String>> = (u32s("protocol")?.into_iter())
        .map(|p| p.map(|p| Protocol::number(p as u8).name()))
        .collect();
    let internet = grouped.column("internet")?.bool()?;
    let class: Vec<Option<&str>> = internet
        .iter()
        .map(|i| i.map(|i| if i { "internet" } else { "private" }))
        .collect();
    let time = |name: &str| -> Result<Vec<Option<String>>> {
        Ok((grouped.column(name)?.i64()?.iter())
            .map(|t| {
                t.and_then(|t| jiff::Timestamp::from_second(t).ok())
                    .map(|t| t.to_string())
            })
            .collect())
    };
    let reference: Vec<String> = (grouped.column("position")?.u64()?.iter())
        .map(|p| position_ref(p.unwrap_or_default(), records))
        .collect();
    let columns = vec![
        Column::new("account".into(), account),
        Column::new("region".into(), region),
        Column::new("network_interface_id".into(), interface.clone()),
        Column::new("direction".into(), name_of(u32s("direction")?, &DIRECTIONS)),
        Column::new("protocol".into(), protocol),
        Column::new(
            "port".into(),
            grouped
                .column("port")?
                .cast(&DataType::Int64)?
                .take_materialized_series(),
        ),
        grouped.column("reply")?.clone(),
        Column::new("action".into(), name_of(u32s("action")?, &ACTIONS)),
        Column::new(
            "log_status".into(),
            name_of(u32s("status")?.into_iter().collect(), &LOG_STATUSES),
        ),
        Column::new("source_class".into(), class),
        grouped.column("sources")?.cast(&DataType::Int64)?,
        grouped.column("records")?.cast(&DataType::Int64)?,
        grouped.column("packets")?.cast(&DataType::Int64)?,
        grouped.column("bytes")?.cast(&DataType::Int64)?,
        Column::new("first_seen".into(), time("start")?),
        Column::new("last_seen".into(), time("end")?),
        Column::new("record_ref".into(), reference),
    ];
    let sort_by = [
        "network_interface_id",
        "direction",
        "port",
        "reply",
        "protocol",
        "action",
        "log_status",
        "source_class",
    ];
    Ok(DataFrame::new(grouped.height(), columns)?.sort(
        sort_by,
        SortMultipleOptions::default().with_nulls_last(true),
    )?)
}

/// The account and region of each interface, from describe-network-interfaces (null when the
/// interface is not in it).
fn account_and_region<'r>(
    interfaces: &[&str],
    records: &'r Records,
) -> (Vec<Option<&'r str>>, Vec<Option<&'r str>>) {
    let owners: HashMap<&str, (Option<&str>, Option<&str>)> = (records.network_interfaces.iter())
        .map(|r| {
            let i = &r.item;
            let region = i.availability_zone.as_deref().and_then(az_region);
            (
                i.network_interface_id.as_str(),
                (i.owner_id.as_deref(), region),
            )
        })
        .collect();
    (interfaces.iter())
        .map(|i| owners.get(i).copied().unwrap_or_default())
        .unzip()
}

/// The reference of a record: a CloudWatch Logs event's own, or `FILE:0:line N` of a delivery
/// file.
fn position_ref(position: u64, records: &Records) -> String {
    if position & EVENT != 0 {
        let event = &records.log_events[(position & !EVENT) as usize];
        return source_ref(&event.source);
    }
    format!(
        "{}:0:line {}",
        position >> 32,
        position & u64::from(u32::MAX)
    )
}
