//! The internet path of each interface a finding is about, drawn hop by hop as inline SVG:
//! internet → public IP → route → internet gateway → network ACLs → security groups →
//! interface, each hop coloured by its verdict; then each load-balancer path to it that is not
//! closed, with the balancer's and the target's legs. Hops come from the `eni_exposure` and
//! `lb_exposure` views.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::Result;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};
use serde_json::Value;

use super::super::Report;
use crate::rules::Finding;
use crate::tables::Tables;

/// The resource type of findings about one network interface.
const INTERFACE: &str = "AwsEc2NetworkInterface";

/// One drawn path: its caption and its hops (`{hop, verdict, detail}`).
struct Drawn {
    caption: String,
    hops: Vec<Value>,
}

/// The paths of every interface a finding is about, by (account, interface id).
pub struct PathIndex {
    interfaces: BTreeMap<(String, String), Vec<Drawn>>,
    /// How many interfaces in findings have paths the page cannot draw, its evidence not read.
    not_read: usize,
}

impl PathIndex {
    /// Looks up the paths of the interfaces the report's findings are about; the views are
    /// not built when no finding is about an interface.
    pub fn new(tables: &Tables, report: &Report) -> Result<PathIndex> {
        let wanted = wanted(report);
        let mut interfaces: BTreeMap<(String, String), Vec<Drawn>> = BTreeMap::new();
        if wanted.is_empty() {
            return Ok(PathIndex {
                interfaces,
                not_read: 0,
            });
        }
        for (key, row) in matching_rows(tables, "eni_exposure", &wanted)? {
            let caption = format!("direct path ({})", text(&row["path_version"]));
            interfaces
                .entry(key)
                .or_default()
                .push(drawn(caption, &row));
        }
        for (key, row) in matching_rows(tables, "lb_exposure", &wanted)? {
            if row["reachable"] != "no" {
                let caption = format!(
                    "through {} {} {} {}",
                    text(&row["load_balancer_type"]),
                    text(&row["load_balancer_name"]),
                    text(&row["listener_protocol"]),
                    text(&row["listener_port"])
                );
                interfaces
                    .entry(key)
                    .or_default()
                    .push(drawn(caption, &row));
            }
        }
        Ok(PathIndex {
            interfaces,
            not_read: 0,
        })
    }

    /// No path, for a report whose evidence is not read again (`merge`): the page says so.
    pub fn not_read(report: &Report) -> PathIndex {
        PathIndex {
            interfaces: BTreeMap::new(),
            not_read: wanted(report).len(),
        }
    }

    /// The id of the figure drawing the path of the interface `finding` is about, if any.
    pub fn anchor(&self, finding: &Finding) -> Option<String> {
        let key = interface_key(finding)?;
        self.interfaces.contains_key(&key).then(|| anchor_id(&key))
    }

    /// One figure per interface: each of its paths as SVG with the hops listed below it.
    pub fn figures(&self, h: &mut String) {
        if self.not_read > 0 {
            let _ = writeln!(
                h,
                "<h2>Internet paths of the interfaces in findings</h2>\n<p>\
                 Not drawn: this page was merged from shard reports (<code>snapaudit merge</code>), \
                 which do not carry the evidence. The hop-by-hop paths of the {} interfaces in \
                 findings are drawn by <code>snapaudit scan --format html</code> over the evidence \
                 (of all shards, or of the shard holding the interface).</p>",
                self.not_read
            );
        }
        if self.interfaces.is_empty() {
            return;
        }
        *h += "<h2>Internet paths of the interfaces in findings</h2>\n<p>Each hop from the \
              internet to the interface: green passes, red blocks, amber cannot be settled from \
              the evidence.</p>\n";
        for (key, paths) in &self.interfaces {
            let _ = writeln!(
                h,
                "<figure id=\"{}\"><figcaption>{} in {}</figcaption>",
                attr(&anchor_id(key)),
                esc(&key.1),
                esc(&key.0)
            );
            for path in paths {
                let _ = writeln!(h, "<p>{}</p>", esc(&path.caption));
                svg(h, &path.hops);
                hop_list(h, &path.hops);
            }
            *h += "</figure>\n";
        }
    }
}

/// The (account, interface id) of every interface the report's findings are about.
fn wanted(report: &Report) -> BTreeSet<(String, String)> {
    (report.all_findings())
        .filter_map(|(f, _)| interface_key(f))
        .collect()
}

/// (account, interface id) of a finding about a network interface.
fn interface_key(f: &Finding) -> Option<(String, String)> {
    (f.resource_type == INTERFACE).then(|| {
        let account = f.account.as_deref().unwrap_or_default().to_string();
        (account, f.resource_id.to_string())
    })
}

/// The element id of an interface's figure.
fn anchor_id((account, interface): &(String, String)) -> String {
    format!("path-{account}-{interface}")
}

/// A JSON value as plain text: strings unquoted, null empty.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn drawn(caption: String, row: &Value) -> Drawn {
    let hops = row["hops"].as_array().cloned().unwrap_or_default();
    Drawn { caption, hops }
}

/// The rows of a view whose (account, network_interface_id) is wanted, as JSON, in row order.
fn matching_rows(
    tables: &Tables,
    view: &str,
    wanted: &BTreeSet<(String, String)>,
) -> Result<Vec<((String, String), Value)>> {
    let df = tables.get(view)?;
    let text = |column: &str| df.column(column).ok().and_then(|c| c.str().ok());
    let mut out = Vec::new();
    // An empty view may have untyped (null) columns: it has no rows to draw either.
    let (Some(accounts), Some(interfaces)) = (text("account"), text("network_interface_id")) else {
        return Ok(out);
    };
    for i in 0..df.height() {
        let key = (
            accounts.get(i).unwrap_or_default().to_string(),
            interfaces.get(i).unwrap_or_default().to_string(),
        );
        if wanted.contains(&key) {
            out.push((key, tables.row(view, i)?));
        }
    }
    Ok(out)
}

/// Width, height and spacing of a hop's box, in SVG units.
const BOX_W: usize = 104;
const BOX_H: usize = 40;
const GAP: usize = 22;

/// The path as boxes left to right: the internet, each hop coloured by verdict, the interface.
fn svg(h: &mut String, hops: &[Value]) {
    let end = |name: &str| HopBox {
        label: name.to_string(),
        verdict: String::new(),
        detail: name.to_string(),
    };
    let mut boxes = vec![end("internet")];
    boxes.extend(hops.iter().map(|hop| HopBox {
        label: short_name(&text(&hop["hop"])),
        verdict: text(&hop["verdict"]),
        detail: text(&hop["detail"]),
    }));
    boxes.push(end("interface"));
    let width = 2 * 10 + boxes.len() * BOX_W + (boxes.len() - 1) * GAP;
    let _ = write!(
        h,
        "<svg class=\"path\" role=\"img\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\">",
        BOX_H + 20,
        BOX_H + 20
    );
    for (i, b) in boxes.iter().enumerate() {
        let x = 10 + i * (BOX_W + GAP);
        let class = verdict_class(&b.verdict);
        let _ = write!(
            h,
            "<g><title>{title}</title><rect class=\"v-{class}\" x=\"{x}\" y=\"10\" width=\"{BOX_W}\" \
             height=\"{BOX_H}\" rx=\"5\"></rect><text x=\"{cx}\" y=\"27\">{label}</text>\
             <text x=\"{cx}\" y=\"42\">{verdict}</text></g>",
            title = esc(&b.detail),
            cx = x + BOX_W / 2,
            label = esc(&b.label),
            verdict = esc(&b.verdict),
        );
        if i + 1 < boxes.len() {
            let (x1, x2, y) = (x + BOX_W, x + BOX_W + GAP, 10 + BOX_H / 2);
            let _ = write!(
                h,
                "<line x1=\"{x1}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"></line>\
                 <polygon points=\"{},{} {x2},{y} {},{}\"></polygon>",
                x2 - 4,
                x2 - 6,
                y - 4,
                x2 - 6,
                y + 4
            );
        }
    }
    *h += "</svg>\n";
}

/// One box of the picture: the hop's short name, its verdict, and its explanation (the box's
/// tooltip).
struct HopBox {
    label: String,
    verdict: String,
    detail: String,
}

/// The CSS class of a verdict (`v-pass`, `v-fail`, `v-indeterminate`; `v-end` for the two
/// ends, which have none), letters only whatever the value.
fn verdict_class(verdict: &str) -> String {
    if verdict.is_empty() {
        return "end".to_string();
    }
    verdict
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// A hop's name short enough for its box; a load-balancer path's legs keep their prefix
/// (`lb_internet_gateway` → "LB IGW", `target_security_group` → "target SG").
fn short_name(hop: &str) -> String {
    for (prefix, shown) in [("lb_", "LB "), ("target_", "target ")] {
        if let Some(rest) = hop.strip_prefix(prefix) {
            return format!("{shown}{}", short_name(rest));
        }
    }
    match hop {
        "public_ip" => "public IP".into(),
        "internet_gateway" => "IGW".into(),
        "nacl_inbound" => "NACL in".into(),
        "nacl_outbound" => "NACL out".into(),
        "security_group" => "SG".into(),
        "interface_type" => "interface type".into(),
        other => other.replace('_', " "),
    }
}

/// The hops as a list, each with its verdict and explanation.
fn hop_list(h: &mut String, hops: &[Value]) {
    *h += "<ol class=\"hops\">";
    for hop in hops {
        let verdict = text(&hop["verdict"]);
        let class: String = verdict
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let _ = write!(
            h,
            "<li class=\"v-{class}\"><b>{}</b> {}: {}</li>",
            esc(&text(&hop["hop"])),
            esc(&verdict),
            esc(&text(&hop["detail"]))
        );
    }
    *h += "</ol>\n";
}
