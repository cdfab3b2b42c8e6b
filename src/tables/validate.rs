//! Checks of the values the reachability engine relies on: CIDR blocks, network ACL rule
//! numbers, port ranges and protocols. An invalid value is a warning naming its file and
//! pointer; the tables then treat the entry holding it as unreadable, which makes the hop it
//! belongs to indeterminate (never a silent pass or fail). Outbound group permissions are
//! checked the same way; no hop reads them (security groups are stateful), so their warning
//! says that no verdict rests on them.

use ipnet::IpNet;

use crate::evidence::model::{AclEntry, IpPermission, Route};
use crate::evidence::{Diagnostic, EvidenceFile, Records, Source};
use crate::reach::Protocol;

/// A CIDR block, or why `text` (the value of `field`) is not one.
pub fn cidr(field: &str, text: &str) -> Result<IpNet, String> {
    text.parse()
        .map_err(|_| format!("{field} `{text}` is not a CIDR block"))
}

/// What is wrong with a protocol (`-1`, a name, or a number 0-255).
fn protocol(field: &str, text: &str) -> Option<String> {
    Protocol::parse(text).is_none().then(|| {
        format!("{field} `{text}` is not a protocol (-1, tcp, udp, icmp, icmpv6 or 0-255)")
    })
}

/// What is wrong with a `from`-`to` range of ports for protocol `proto`: ports 0-65535 with
/// from ≤ to for tcp/udp; type and code -1-255 for icmp; anything for every protocol (-1).
fn ports(
    what: &str,
    proto: Option<Protocol>,
    from: Option<i32>,
    to: Option<i32>,
) -> Option<String> {
    let (low, high) = match proto {
        Some(p) if p == Protocol::TCP || p == Protocol::UDP => (0, 65_535),
        Some(p) if p == Protocol::ICMP || p == Protocol::ICMPV6 => (-1, 255),
        _ => return None,
    };
    let shown = |v: Option<i32>| v.map_or("none".to_string(), |v| v.to_string());
    let outside = [from, to]
        .into_iter()
        .flatten()
        .any(|v| v < low || v > high);
    let reversed = proto.is_some_and(|p| p == Protocol::TCP || p == Protocol::UDP)
        && from.zip(to).is_some_and(|(f, t)| f > t);
    (outside || reversed).then(|| {
        format!(
            "{what} {}-{} is not a range within {low}-{high}{}",
            shown(from),
            shown(to),
            if reversed { " (from above to)" } else { "" }
        )
    })
}

/// What is wrong with a network ACL entry (none: it can be read).
pub fn acl_entry(e: &AclEntry) -> Vec<String> {
    let mut problems = Vec::new();
    // 32767 and 32768 are the IPv4 and IPv6 default (`*`) entries.
    if !(1..=32_768).contains(&e.rule_number) {
        problems.push(format!(
            "RuleNumber {} is outside 1-32766 (or 32767/32768, the default entries)",
            e.rule_number
        ));
    }
    problems.extend(protocol("Protocol", &e.protocol));
    let block = (e.cidr_block.as_deref().map(|c| ("CidrBlock", c)))
        .or(e.ipv6_cidr_block.as_deref().map(|c| ("Ipv6CidrBlock", c)));
    match block {
        Some((field, text)) => problems.extend(cidr(field, text).err()),
        None => problems.push("no CidrBlock or Ipv6CidrBlock".to_string()),
    }
    let proto = Protocol::parse(&e.protocol);
    if let Some(range) = &e.port_range {
        problems.extend(ports("PortRange", proto, range.from, range.to));
    }
    if let Some(icmp) = &e.icmp_type_code {
        problems.extend(ports("IcmpTypeCode", proto, icmp.icmp_type, icmp.code));
    }
    problems
}

/// What is wrong with a route's destination (none: it can be read).
pub fn route(r: &Route) -> Option<String> {
    let block = (r
        .destination_cidr_block
        .as_deref()
        .map(|c| ("DestinationCidrBlock", c)))
    .or(r
        .destination_ipv6_cidr_block
        .as_deref()
        .map(|c| ("DestinationIpv6CidrBlock", c)));
    block.and_then(|(field, text)| cidr(field, text).err())
}

/// What is wrong with a security group permission (none: it can be read).
pub fn permission(p: &IpPermission) -> Vec<String> {
    let mut problems: Vec<String> = protocol("IpProtocol", &p.ip_protocol).into_iter().collect();
    let proto = Protocol::parse(&p.ip_protocol);
    problems.extend(ports("FromPort-ToPort", proto, p.from_port, p.to_port));
    let blocks = (p.ip_ranges.iter().map(|r| ("CidrIp", r.cidr_ip.as_str()))).chain(
        p.ipv6_ranges
            .iter()
            .map(|r| ("CidrIpv6", r.cidr_ipv6.as_str())),
    );
    problems.extend(blocks.filter_map(|(field, text)| cidr(field, text).err()));
    problems
}

/// What an invalid entry means for the verdicts: the engine leaves it out, so what it decides
/// is indeterminate.
const UNUSED: &str = "the entry is not used and what it decides is indeterminate";

/// What an invalid outbound group permission means: security groups are stateful (a reply to
/// admitted traffic always leaves), so no reachability hop reads outbound permissions.
const OUTBOUND_UNUSED: &str = "the entry is not used; no reachability hop reads outbound group \
     permissions (security groups let replies out), so no verdict rests on it";

/// One warning per entry, route or permission (inbound and outbound) of `records` holding an
/// invalid value.
pub fn warnings(records: &Records, files: &[EvidenceFile]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut warn = |source: Source, problems: Vec<String>, meaning: &str| {
        if problems.is_empty() {
            return;
        }
        out.push(Diagnostic {
            pointer: Some(source.pointer),
            ..Diagnostic::file(
                &files[source.file as usize].file,
                format!("{}; {meaning}", problems.join("; ")),
            )
        });
    };
    for a in &records.network_acls {
        for (i, e) in a.item.entries.iter().enumerate() {
            warn(a.source.child("Entries", i), acl_entry(e), UNUSED);
        }
    }
    for t in &records.route_tables {
        for (i, r) in t.item.routes.iter().enumerate() {
            warn(
                t.source.child("Routes", i),
                route(r).into_iter().collect(),
                UNUSED,
            );
        }
    }
    for g in &records.security_groups {
        for (i, p) in g.item.ip_permissions.iter().enumerate() {
            warn(g.source.child("IpPermissions", i), permission(p), UNUSED);
        }
        for (i, p) in g.item.ip_permissions_egress.iter().enumerate() {
            let at = g.source.child("IpPermissionsEgress", i);
            warn(at, permission(p), OUTBOUND_UNUSED);
        }
    }
    out
}
