//! The `flow_records` table: flow log records aggregated per interface, direction, destination
//! port, protocol, action, record status and source class (internet or private), in polars:
//! distinct sources, records, packets, bytes and the window they were seen in. Records come from
//! delivery files (already columns) and from CloudWatch Logs events (parsed here with the
//! `LogFormat` of the flow log that delivers to CloudWatch Logs).

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;

use super::source_ref;
use crate::evidence::flow::{ACTIONS, DIRECTIONS, FlowColumns, FlowFormat, LOG_STATUSES};
use crate::evidence::{Diagnostic, EvidenceFile, Records, az_region};
use crate::reach::Protocol;

/// Marks a position as a CloudWatch Logs event's index in `Records::log_events`.
const EVENT: u64 = 1 << 63;

/// The grouping keys, in output order.
const KEYS: [&str; 8] = [
    "interface",
    "direction",
    "port",
    "reply",
    "protocol",
    "action",
    "status",
    "internet",
];

/// `flow_records`, and the problems found reading CloudWatch Logs events as flow records.
pub fn flow_records(
    delivered: &[FlowColumns],
    records: &Records,
    files: &[EvidenceFile],
) -> Result<(DataFrame, Vec<Diagnostic>)> {
    let (events, problems) = events_as_columns(records, files);
    let mut interfaces: Vec<String> = Vec::new();
    let mut numbers: HashMap<&str, u32> = HashMap::new();
    let mut all = FlowColumns::default();
    for batch in delivered.iter().chain([&events]) {
        let renumber: Vec<u32> = (batch.interfaces.iter())
            .map(|id| {
                *numbers.entry(id).or_insert_with(|| {
                    interfaces.push(id.clone());
                    interfaces.len() as u32 - 1
                })
            })
            .collect();
        all.interface
            .extend(batch.interface.iter().map(|i| renumber[*i as usize]));
        append(&mut all, batch);
    }
    let grouped = aggregate(raw_frame(all)?)?;
    Ok((named(&grouped, &interfaces, records)?, problems))
}

/// Appends every column but `interface` (renumbered by the caller).
fn append(all: &mut FlowColumns, batch: &FlowColumns) {
    all.direction.extend(&batch.direction);
    all.port.extend(&batch.port);
    all.reply.extend(&batch.reply);
    all.protocol.extend(&batch.protocol);
    all.action.extend(&batch.action);
    all.status.extend(&batch.status);
    all.internet.extend(&batch.internet);
    all.source_high.extend(&batch.source_high);
    all.source_low.extend(&batch.source_low);
    all.packets.extend(&batch.packets);
    all.bytes.extend(&batch.bytes);
    all.start.extend(&batch.start);
    all.end.extend(&batch.end);
    all.position.extend(&batch.position);
}

/// The CloudWatch Logs events read as flow records, with the format of the flow logs that
/// deliver there (the default when none says otherwise); each unreadable event is named.
fn events_as_columns(records: &Records, files: &[EvidenceFile]) -> (FlowColumns, Vec<Diagnostic>) {
    let mut columns = FlowColumns::default();
    let mut problems = Vec::new();
    if records.log_events.is_empty() {
        return (columns, problems);
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
            return (columns, problems);
        }
    };
    if formats.len() > 1 {
        let why = "flow logs delivering to CloudWatch Logs use different formats; the events were \
                   read with the first one's";
        problems.push(problem(formats[0].0, why.to_string()));
    }
    for (i, event) in records.log_events.iter().enumerate() {
        if let Err(why) = columns.push(&format, &event.item.message, EVENT | i as u64) {
            let why = format!("log event skipped, not a flow record: {why}");
            problems.push(problem(&event.source, why));
        }
    }
    (columns, problems)
}

/// The records as a polars frame (codes, not names).
fn raw_frame(c: FlowColumns) -> Result<DataFrame> {
    let height = c.len();
    let columns = vec![
        Column::new("interface".into(), c.interface),
        Column::new("direction".into(), c.direction),
        Column::new("port".into(), c.port),
        Column::new("reply".into(), c.reply),
        Column::new("protocol".into(), c.protocol),
        Column::new("action".into(), c.action),
        Column::new("status".into(), c.status),
        Column::new("internet".into(), c.internet),
        Column::new("source_high".into(), c.source_high),
        Column::new("source_low".into(), c.source_low),
        Column::new("packets".into(), c.packets),
        Column::new("bytes".into(), c.bytes),
        Column::new("start".into(), c.start),
        Column::new("end".into(), c.end),
        Column::new("position".into(), c.position),
    ];
    Ok(DataFrame::new(height, columns)?)
}

/// Groups by [`KEYS`] in two steps: per source first, so that the second counts distinct
/// sources; sums packets and bytes, spans the window, keeps the earliest position.
fn aggregate(raw: DataFrame) -> Result<DataFrame> {
    let keys: Vec<Expr> = KEYS.iter().map(|k| col(*k)).collect();
    let mut per_source = keys.clone();
    per_source.extend([col("source_high"), col("source_low")]);
    let totals = |records: Expr| {
        [
            records.alias("records"),
            col("packets").sum(),
            col("bytes").sum(),
            col("start").min(),
            col("end").max(),
            col("position").min(),
        ]
    };
    Ok(raw
        .lazy()
        .group_by(per_source)
        .agg(totals(len()))
        .group_by(keys)
        .agg(
            [
                &[col("source_low").count().alias("sources")][..],
                &totals(col("records").sum()),
            ]
            .concat(),
        )
        .collect()?)
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
