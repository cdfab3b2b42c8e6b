//! VPC flow log records, parsed straight into columns (never one JSON value per record): the
//! field list of a delivery file's header line or of a flow log's `LogFormat` (default version 2
//! when absent, any field order), and one record per line or CloudWatch Logs event. `NODATA` and
//! `SKIPDATA` records are kept with their status, so they are counted, not dropped.

use std::net::IpAddr;
use std::sync::OnceLock;

use super::flow_summary::{FlowKey, FlowSummary, FlowTotals};
use crate::reach::{AddrSet, IpVersion};

/// Every field name flow logs know (versions 2 to 8), for recognising a header line.
const KNOWN_FIELDS: [&str; 42] = [
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
    "resource-id",
    "encryption-status",
];

/// The default (version 2) format.
pub const DEFAULT_FORMAT: &str = "version account-id interface-id srcaddr dstaddr srcport \
                                  dstport protocol packets bytes start end action log-status";

/// A field the audit reads; the others are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    InterfaceId,
    SrcAddr,
    SrcPort,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    Direction,
    Other,
}

impl Field {
    fn of(name: &str) -> Field {
        match name {
            "interface-id" => Field::InterfaceId,
            "srcaddr" => Field::SrcAddr,
            "srcport" => Field::SrcPort,
            "dstport" => Field::DstPort,
            "protocol" => Field::Protocol,
            "packets" => Field::Packets,
            "bytes" => Field::Bytes,
            "start" => Field::Start,
            "end" => Field::End,
            "action" => Field::Action,
            "log-status" => Field::LogStatus,
            "flow-direction" => Field::Direction,
            _ => Field::Other,
        }
    }
}

/// The field list of a flow log's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowFormat {
    fields: Vec<Field>,
    /// Whether records say their direction (`flow-direction`).
    pub has_direction: bool,
}

impl FlowFormat {
    /// A delivery file's header line (`version account-id …`), when every word is a flow log
    /// field name; `None` for any other text.
    pub fn from_header(line: &str) -> Option<FlowFormat> {
        let names: Vec<&str> = line.split_ascii_whitespace().collect();
        let known = names.len() >= 2 && names.iter().all(|n| KNOWN_FIELDS.contains(n));
        known.then(|| FlowFormat::of_names(&names))
    }

    /// A `LogFormat` from describe-flow-logs (`${version} ${interface-id} …`); the default
    /// version 2 format when absent.
    pub fn from_log_format(format: Option<&str>) -> Result<FlowFormat, String> {
        let text = format
            .unwrap_or(DEFAULT_FORMAT)
            .replace(['$', '{', '}'], " ");
        FlowFormat::from_header(&text)
            .ok_or_else(|| format!("LogFormat `{}` names an unknown field", text.trim()))
    }

    fn of_names(names: &[&str]) -> FlowFormat {
        let fields: Vec<Field> = names.iter().map(|n| Field::of(n)).collect();
        let has_direction = fields.contains(&Field::Direction);
        FlowFormat {
            fields,
            has_direction,
        }
    }

    /// Why records of this format cannot be attributed, if they cannot.
    pub fn unusable(&self) -> Option<&'static str> {
        (!self.fields.contains(&Field::InterfaceId))
            .then_some("the field list has no interface-id: records cannot be tied to an interface")
    }
}

/// `action` values.
pub const ACTIONS: [&str; 2] = ["ACCEPT", "REJECT"];
/// `log-status` values.
pub const LOG_STATUSES: [&str; 3] = ["OK", "NODATA", "SKIPDATA"];
/// `flow-direction` values.
pub const DIRECTIONS: [&str; 2] = ["ingress", "egress"];

/// One record's values as read.
#[derive(Default)]
struct Row<'a> {
    interface: Option<&'a str>,
    direction: Option<u32>,
    source_port: Option<u32>,
    port: Option<u32>,
    protocol: Option<u32>,
    action: Option<u32>,
    status: u32,
    source: Option<IpAddr>,
    packets: Option<u64>,
    bytes: Option<u64>,
    start: Option<i64>,
    end: Option<i64>,
}

impl FlowSummary {
    /// Parses one record of `format` and adds it; a record that does not read says why.
    pub fn push(&mut self, format: &FlowFormat, record: &str, position: u64) -> Result<(), String> {
        let row = parse(format, record)?;
        let interface = row.interface.ok_or("the record has no interface-id")?;
        let key = FlowKey {
            interface: self.interface_number(interface),
            direction: row.direction,
            port: row.port,
            reply: (row.source_port.zip(row.port)).map(|(from, to)| from < 1024 && to >= 1024),
            protocol: row.protocol,
            action: row.action,
            status: row.status,
            internet: row.source.map(is_internet),
        };
        let totals = FlowTotals {
            records: 1,
            packets: row.packets.unwrap_or_default(),
            bytes: row.bytes.unwrap_or_default(),
            start: row.start,
            end: row.end,
            position,
        };
        let source = row.source.map(|a| match a {
            IpAddr::V4(v4) => u128::from(u32::from(v4)),
            IpAddr::V6(v6) => u128::from(v6),
        });
        self.add(key, &totals, source);
        Ok(())
    }
}

/// Reads one record's fields; `-` is an absent value.
fn parse<'a>(format: &FlowFormat, record: &'a str) -> Result<Row<'a>, String> {
    let mut row = Row::default();
    let mut values = record.split_ascii_whitespace();
    for field in &format.fields {
        let value = values.next().ok_or_else(|| {
            format!(
                "{} fields where the format has {}",
                record.split_ascii_whitespace().count(),
                format.fields.len()
            )
        })?;
        if value == "-" {
            continue;
        }
        match field {
            Field::InterfaceId => row.interface = Some(value),
            Field::SrcAddr => row.source = Some(value.parse().map_err(|_| bad("srcaddr", value))?),
            Field::SrcPort => row.source_port = Some(number("srcport", value)?),
            Field::DstPort => row.port = Some(number("dstport", value)?),
            Field::Protocol => row.protocol = Some(number::<u8>("protocol", value)?.into()),
            Field::Packets => row.packets = Some(number("packets", value)?),
            Field::Bytes => row.bytes = Some(number("bytes", value)?),
            Field::Start => row.start = Some(number("start", value)?),
            Field::End => row.end = Some(number("end", value)?),
            Field::Action => row.action = Some(one_of("action", &ACTIONS, value)?),
            Field::LogStatus => row.status = one_of("log-status", &LOG_STATUSES, value)?,
            Field::Direction => row.direction = Some(one_of("flow-direction", &DIRECTIONS, value)?),
            Field::Other => {}
        }
    }
    if values.next().is_some() {
        return Err(format!(
            "{} fields where the format has {}",
            record.split_ascii_whitespace().count(),
            format.fields.len()
        ));
    }
    Ok(row)
}

fn bad(field: &str, value: &str) -> String {
    format!("{field} is `{value}`, which is not a valid value")
}

fn number<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, String> {
    value.parse().map_err(|_| bad(field, value))
}

fn one_of(field: &str, names: &[&str], value: &str) -> Result<u32, String> {
    (names.iter().position(|n| *n == value).map(|i| i as u32)).ok_or_else(|| bad(field, value))
}

/// Whether an address is an internet source: not one of the special-purpose IPv4 ranges, or
/// IPv6 global unicast (the engine's own definition).
fn is_internet(address: IpAddr) -> bool {
    static INTERNET: OnceLock<(AddrSet, AddrSet)> = OnceLock::new();
    let (v4, v6) = INTERNET.get_or_init(|| {
        (
            AddrSet::internet(IpVersion::V4),
            AddrSet::internet(IpVersion::V6),
        )
    });
    match address {
        IpAddr::V4(_) => v4.contains(address),
        IpAddr::V6(_) => v6.contains(address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_in_any_field_order() {
        let format = FlowFormat::from_header("dstport srcaddr interface-id action log-status")
            .expect("a header");
        let mut summary = FlowSummary::default();
        summary
            .push(&format, "22 203.0.113.9 eni-1 ACCEPT OK", 1)
            .unwrap();
        summary
            .push(&format, "443 10.0.0.5 eni-2 REJECT OK", 2)
            .unwrap();
        summary.push(&format, "- - eni-1 - NODATA", 3).unwrap();
        let err = summary
            .push(&format, "22 x eni-1 ACCEPT OK", 4)
            .unwrap_err();
        assert!(err.contains("srcaddr is `x`"), "{err}");
        assert!(summary.push(&format, "22 eni-1 ACCEPT OK", 5).is_err());
        assert_eq!(summary.len(), 3);
        assert_eq!(summary.interfaces, ["eni-1", "eni-2"]);
        let read: Vec<_> = (summary.groups().into_iter())
            .map(|(k, t, sources)| {
                (
                    k.interface,
                    k.port,
                    k.internet,
                    k.status,
                    t.position,
                    sources,
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                (0, Some(22), Some(true), 0, 1, 1),
                (1, Some(443), Some(false), 0, 2, 1),
                (0, None, None, 1, 3, 0)
            ]
        );
    }

    #[test]
    fn formats_from_headers_and_log_formats() {
        assert!(FlowFormat::from_header("{\"FlowLogs\": []}").is_none());
        let custom = FlowFormat::from_log_format(Some("${interface-id} ${flow-direction}"));
        assert!(custom.unwrap().has_direction);
        let default = FlowFormat::from_log_format(None).unwrap();
        assert_eq!(default, FlowFormat::from_header(DEFAULT_FORMAT).unwrap());
        assert!(FlowFormat::from_log_format(Some("${nonsense}")).is_err());
        assert!(
            FlowFormat::from_header("srcaddr dstport")
                .unwrap()
                .unusable()
                .is_some()
        );
    }
}
