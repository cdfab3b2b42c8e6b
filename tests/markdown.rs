//! `scan --format markdown` read by a GitHub-flavoured Markdown parser (pulldown-cmark with
//! tables): one table per rule with a row per finding, every row as wide as its header, and a
//! hostile message rendered as the very text it is, with no markup, link or HTML.

mod common;

use common::{demo_without, scan_json, scratch, snapaudit, snapshot};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// What the parser saw: each table's rows of cell texts (header first), and every event that is
/// markup rather than text inside the tables.
struct Rendered {
    tables: Vec<Vec<Vec<String>>>,
    markup_in_cells: Vec<String>,
    headings: Vec<String>,
}

fn render(markdown: &str) -> Rendered {
    let mut r = Rendered {
        tables: Vec::new(),
        markup_in_cells: Vec::new(),
        headings: Vec::new(),
    };
    let (mut in_cell, mut in_heading) = (false, false);
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match event {
            Event::Start(Tag::Table(_)) => r.tables.push(Vec::new()),
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                r.tables.last_mut().unwrap().push(Vec::new())
            }
            Event::Start(Tag::TableCell) => {
                r.tables
                    .last_mut()
                    .unwrap()
                    .last_mut()
                    .unwrap()
                    .push(String::new());
                in_cell = true;
            }
            Event::End(TagEnd::TableCell) => in_cell = false,
            Event::Start(Tag::Heading { .. }) => {
                r.headings.push(String::new());
                in_heading = true;
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Text(t) if in_cell => {
                let table = r.tables.last_mut().unwrap();
                table.last_mut().unwrap().last_mut().unwrap().push_str(&t);
            }
            Event::Text(t) if in_heading => r.headings.last_mut().unwrap().push_str(&t),
            Event::InlineHtml(h) if in_cell && &*h == "<br>" => {}
            other if in_cell => r.markup_in_cells.push(format!("{other:?}")),
            _ => {}
        }
    }
    r
}

fn markdown(args: &[&str]) -> String {
    let mut all = vec!["scan", "--format", "markdown"];
    all.extend(args);
    snapaudit(&all).stdout
}

#[test]
fn demo_findings_one_table_per_rule_with_their_evidence() {
    let demo = snapshot("demo");
    let (_, json) = scan_json(&[&demo], &[]);
    let findings = json["findings"].as_array().unwrap();
    let rendered = render(&markdown(&[demo.to_str().unwrap()]));
    assert!(
        rendered.markup_in_cells.is_empty(),
        "{:?}",
        rendered.markup_in_cells
    );
    for table in &rendered.tables {
        assert!(
            table.iter().all(|row| row.len() == table[0].len()),
            "{table:?}"
        );
    }
    let finding_tables: Vec<_> = rendered
        .tables
        .iter()
        .filter(|t| t[0] == ["resource", "account/region", "message", "evidence"])
        .collect();
    let rules: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(finding_tables.len(), rules.len());
    let rows: Vec<&Vec<String>> = finding_tables.iter().flat_map(|t| &t[1..]).collect();
    assert_eq!(rows.len(), findings.len());
    for f in findings {
        let e = &f["evidence"][0];
        let cited = format!(
            "{}#{}{} (sha256 {})",
            e["file"].as_str().unwrap(),
            e["document"],
            e["pointer"].as_str().unwrap(),
            &e["sha256"].as_str().unwrap()[..12]
        );
        let row = rows
            .iter()
            .find(|r| {
                r[0] == f["resource_id"].as_str().unwrap() && r[2] == f["message"].as_str().unwrap()
            })
            .unwrap_or_else(|| panic!("no row for {f}"));
        assert!(row[3].starts_with(&cited), "{row:?} lacks {cited}");
    }
    assert!(rendered.headings.iter().any(|h| h == "Coverage gaps"));
    assert!(
        rendered
            .headings
            .iter()
            .any(|h| h.starts_with("SA.NET.1 (critical)"))
    );
}

#[test]
fn hostile_messages_render_as_plain_text() {
    let dir = scratch("markdown-escape");
    let hostile = r#"a | b <script>alert(1)</script> *x* _y_ [l](http://e) `c` ~~s~~ &amp; \\"#;
    let rule = format!(
        r#"id = "ORG.1"
title = "Hostile"
severity = "medium"
table = "ecs_tasks"
resource_type = "AwsEcsTask"
resource = "task_arn"
description = "d"
remediation = "r"
query = '''
{}
'''
"#,
        serde_json::to_string(hostile).unwrap()
    );
    std::fs::write(dir.join("ORG.1.toml"), rule).unwrap();
    let demo = snapshot("demo");
    let md = markdown(&[
        demo.to_str().unwrap(),
        "--rules",
        dir.to_str().unwrap(),
        "--rule",
        "ORG.1",
    ]);
    let rendered = render(&md);
    assert!(
        rendered.markup_in_cells.is_empty(),
        "{:?}\n{md}",
        rendered.markup_in_cells
    );
    let table = rendered
        .tables
        .iter()
        .find(|t| t[0] == ["resource", "account/region", "message", "evidence"])
        .expect("a findings table");
    assert!(table.len() > 1, "{md}");
    for row in &table[1..] {
        assert_eq!(row.len(), 4, "{row:?}");
        assert_eq!(row[2], hostile);
    }
}

#[test]
fn a_missing_export_is_a_coverage_gap_row() {
    let dir = demo_without("markdown-gaps", "ec2/describe-network-acls.json");
    let rendered = render(&markdown(&[dir.to_str().unwrap()]));
    let gaps = rendered
        .tables
        .iter()
        .find(|t| t[0] == ["rule", "account/region", "coverage", "missing exports"])
        .unwrap();
    let acl = [
        "EC2.21",
        "111122223333/eu-west-1",
        "none",
        "ec2 describe-network-acls",
    ];
    assert!(gaps.iter().any(|row| row == &acl), "{gaps:?}");
}
