//! The HTML report in its real consumer, headless Chromium: the page renders with its rows,
//! the script filters and sorts them from the URL fragment, every row shows with JavaScript
//! off, and the page fetches nothing. Also takes the README's screenshot. Chromium is Debian's `chromium`
//! (installed by `.ci/run`); under `CI=true` a missing browser fails, elsewhere those tests
//! skip. The path pictures are checked in the page's text.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{root, scratch, snapaudit, snapshot};
use serde_json::Value;

/// The browser, or `None` (with a message) when it is missing outside CI.
fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "chromium is not installed (.ci/run installs Debian's package)"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
    }
    found
}

/// Runs headless Chromium on `url` with its own profile in `dir`, the browser's own background
/// traffic turned off, and `extra` flags; returns standard output.
fn run_chromium(browser: &Path, dir: &Path, url: &str, extra: &[&str]) -> String {
    let profile = format!("--user-data-dir={}", dir.join("profile").display());
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            &profile,
        ])
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The demo's HTML report written to `dir/report.html`, and its number of findings.
fn demo_report(dir: &Path) -> (PathBuf, usize) {
    let demo = snapshot("demo");
    let html = snapaudit(&["scan", "--format", "html", demo.to_str().unwrap()]).stdout;
    let path = dir.join("report.html");
    std::fs::write(&path, html).unwrap();
    let json = snapaudit(&["scan", "--format", "json", demo.to_str().unwrap()]).json();
    (path, json["findings"].as_array().unwrap().len())
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The opening tags of the findings rows in a dumped DOM.
fn rows(dom: &str) -> Vec<&str> {
    dom.split("<tr data-severity=")
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap()])
        .collect()
}

#[test]
fn the_page_renders_filters_and_sorts_from_the_url_fragment() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("html-filter");
    let (report, findings) = demo_report(&dir);
    let url = file_url(&report);

    let all = run_chromium(&browser, &dir, &url, &["--dump-dom"]);
    assert_eq!(rows(&all).len(), findings, "{all}");
    assert!(rows(&all).iter().all(|r| !r.contains("hidden")));
    assert!(all.contains(&format!(
        "<output id=\"shown\">{findings} of {findings} shown</output>"
    )));

    let filtered = run_chromium(
        &browser,
        &dir,
        &format!("{url}#rule=ECS.2"),
        &["--dump-dom"],
    );
    let (shown, hidden): (Vec<&str>, Vec<&str>) = rows(&filtered)
        .into_iter()
        .partition(|r| !r.contains("hidden"));
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains("data-rule=\"ECS.2\""));
    assert_eq!(hidden.len(), findings - 1);
    assert!(filtered.contains(&format!("1 of {findings} shown")));

    let severities = |dom: &str| -> Vec<usize> {
        let order = ["critical", "high", "medium", "low", "info"];
        let severity = |row: &str| row.split('"').nth(1).unwrap().to_string();
        let rank = |s: String| order.iter().position(|o| *o == s).unwrap();
        rows(dom).into_iter().map(|r| rank(severity(r))).collect()
    };
    let as_written = severities(&all);
    assert!(as_written.is_sorted(), "critical first as written");
    let sorted = run_chromium(&browser, &dir, &format!("{url}#sort=-0"), &["--dump-dom"]);
    let least_first = severities(&sorted);
    assert!(least_first.is_sorted_by(|a, b| a >= b), "{least_first:?}");
    assert_ne!(least_first, as_written);

    // --dump-dom needs JavaScript itself, so the page without JavaScript is the page without
    // its script element.
    let html = std::fs::read_to_string(&report).unwrap();
    let (head, rest) = html.split_once("<script>").unwrap();
    let no_script = dir.join("no-script.html");
    std::fs::write(
        &no_script,
        format!("{head}{}", rest.split_once("</script>").unwrap().1),
    )
    .unwrap();
    let static_url = format!("{}#rule=ECS.2", file_url(&no_script));
    let static_page = run_chromium(&browser, &dir, &static_url, &["--dump-dom"]);
    assert_eq!(rows(&static_page).len(), findings);
    assert!(rows(&static_page).iter().all(|r| !r.contains("hidden")));
    assert!(static_page.contains("<form id=\"filters\" hidden=\"\">"));
}

/// The URLs a page asked for, from Chromium's network log: requests the browser makes for
/// itself have no initiating origin and are left out.
fn page_requests(browser: &Path, dir: &Path, url: &str) -> Vec<String> {
    let log = dir.join("net.json");
    let flag = format!("--log-net-log={}", log.display());
    run_chromium(browser, dir, url, &["--dump-dom", &flag]);
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    let start = &log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"];
    let events = log["events"].as_array().unwrap().iter();
    events
        .filter(|e| e["type"] == *start && e["params"]["url"].is_string())
        .filter(|e| e["params"]["initiator"] != "not an origin")
        .map(|e| e["params"]["url"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_page_fetches_nothing() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("html-network");
    let probe = dir.join("probe.html");
    std::fs::write(
        &probe,
        "<!DOCTYPE html><img src=\"http://127.0.0.1:9/probe.png\">",
    )
    .unwrap();
    let control = page_requests(&browser, &dir, &file_url(&probe));
    assert_eq!(
        control,
        ["http://127.0.0.1:9/probe.png"],
        "the log shows a page's requests"
    );

    let (report, _) = demo_report(&dir);
    let requests = page_requests(&browser, &dir, &format!("{}#rule=ECS.2", file_url(&report)));
    assert!(requests.is_empty(), "the report fetched {requests:?}");
}

#[test]
fn the_readme_shows_the_browser_screenshot_of_the_demo_report() {
    let Some(browser) = chromium() else { return };
    let dir = scratch("html-screenshot");
    let (report, _) = demo_report(&dir);
    let png = root().join("docs/report.png");
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    let flag = format!("--screenshot={}", png.display());
    run_chromium(
        &browser,
        &dir,
        &file_url(&report),
        &[&flag, "--window-size=1280,1600"],
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains("](docs/report.png)"),
        "README shows the screenshot"
    );
}

/// The labels and verdict classes of the boxes of one drawn path, in order.
fn boxes(svg: &str) -> Vec<(String, String)> {
    svg.split("<rect class=\"v-")
        .skip(1)
        .map(|rest| {
            let class = rest[..rest.find('"').unwrap()].to_string();
            let label = rest.split("y=\"27\">").nth(1).unwrap();
            (label[..label.find('<').unwrap()].to_string(), class)
        })
        .collect()
}

#[test]
fn each_interface_finding_links_to_its_path_drawn_hop_by_hop() {
    let net3 = snapshot("SA.NET.3");
    let html = snapaudit(&["scan", "--format", "html", net3.to_str().unwrap()]).stdout;
    let (_, json) = common::scan_json(&[&net3], &[]);
    let interfaces = json["findings"].as_array().unwrap().iter();
    let interfaces = interfaces.filter(|f| f["resource_type"] == "AwsEc2NetworkInterface");
    let mut count = 0;
    for f in interfaces {
        let id = format!(
            "path-{}-{}",
            f["account"].as_str().unwrap(),
            f["resource_id"].as_str().unwrap()
        );
        assert!(
            html.contains(&format!("<a href=\"#{id}\">path</a>")),
            "{id}"
        );
        assert!(html.contains(&format!("<figure id=\"{id}\">")), "{id}");
        count += 1;
    }
    assert!(count > 0);

    let figure = html
        .split("<figure id=\"path-333344445555-eni-287c8f58e9dabd767\">")
        .nth(1)
        .unwrap();
    let figure = &figure[..figure.find("</figure>").unwrap()];
    let (direct, through) = figure
        .split_once("<p>through network sa3-k-nlb-ip TCP 5432</p>")
        .unwrap();
    let pair = |label: &str, class: &str| (label.to_string(), class.to_string());
    assert_eq!(
        boxes(direct),
        [
            pair("internet", "end"),
            pair("public IP", "fail"),
            pair("route", "fail"),
            pair("IGW", "fail"),
            pair("NACL in", "pass"),
            pair("NACL out", "pass"),
            pair("SG", "fail"),
            pair("interface", "end"),
        ]
    );
    let legs: Vec<String> = boxes(through).into_iter().map(|(label, _)| label).collect();
    assert_eq!(legs.first().map(String::as_str), Some("internet"));
    for leg in [
        "LB scheme",
        "LB IGW",
        "LB SG",
        "listener",
        "target group",
        "target SG",
    ] {
        assert!(legs.iter().any(|l| l == leg), "{leg} not in {legs:?}");
    }
}
