//! The scan table on a terminal and in a pipe: width, shortened ARNs, grouping by account and
//! region, colour, `--quiet` and the examples in `--help`.

mod common;

use std::process::Command;

use common::{Run, snapshot};

/// `snapaudit ARGS` with `COLUMNS` and `NO_COLOR` as given (unset when `None`); stdout is a pipe.
fn run(args: &[&str], columns: Option<&str>, no_color: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_snapaudit"));
    cmd.args(args).env_remove("COLUMNS").env_remove("NO_COLOR");
    cmd.env_remove("CLICOLOR_FORCE");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    if let Some(n) = no_color {
        cmd.env("NO_COLOR", n);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn demo() -> String {
    snapshot("demo").display().to_string()
}

#[test]
fn rows_fit_the_width_with_arns_cut_to_their_resource_part() {
    for (columns, width) in [(None, 100), (Some("120"), 120)] {
        let out = run(&["scan", &demo()], columns, None).stdout;
        let rows: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
        assert!(rows.len() > 10, "{out}");
        for row in &rows {
            assert!(row.chars().count() <= width, "{width}: {row}");
        }
        assert!(rows.iter().any(|r| r.ends_with('…')), "{out}");
        assert!(out.contains(" service/demo/web "), "{out}");
        assert!(
            !rows
                .iter()
                .any(|r| r.contains("arn:aws:ecs:eu-west-1:111122223333:service"))
        );
    }
    let narrow = run(&["scan", &demo()], Some("60"), None).stdout;
    assert!(
        narrow.contains(" task-set/demo/checkout/ecs-svc/4103471355414892036 "),
        "ids stay whole when the terminal is too narrow: {narrow}"
    );
    let json = run(&["scan", &demo(), "--format", "json"], Some("40"), None).stdout;
    assert!(
        json.contains("\"resource_id\": \"arn:aws:ecs:eu-west-1:111122223333:service/demo/web\"")
    );
}

#[test]
fn several_accounts_or_regions_get_a_heading_each() {
    let ecs = snapshot("ECS.2").display().to_string();
    let out = run(&["scan", &ecs, "--rule", "ECS.2"], None, None).stdout;
    let headings: Vec<&str> = out.lines().filter(|l| l.starts_with("account ")).collect();
    assert_eq!(
        headings,
        [
            "account 222233334444, region us-east-1",
            "account 555566667777, region eu-central-1"
        ],
        "{out}"
    );
    let one = run(&["scan", &demo()], None, None).stdout;
    assert!(!one.lines().any(|l| l.starts_with("account ")), "{one}");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_without_no_color() {
    let escape = '\u{1b}';
    let piped = run(&["scan", &demo()], None, None);
    assert!(!piped.stdout.contains(escape));
    let always = run(&["scan", &demo(), "--color", "always"], None, None);
    assert!(
        always.stdout.contains("\u{1b}[1m\u{1b}[91mCRITICAL"),
        "{}",
        always.stdout
    );
    let never = run(&["scan", &demo(), "--color=never"], None, Some("1"));
    assert!(!never.stdout.contains(escape));
    let json = run(
        &["scan", &demo(), "--format", "json", "--color", "always"],
        None,
        None,
    );
    assert!(
        !json.stdout.contains(escape),
        "colour is for the table only"
    );
}

#[test]
fn quiet_prints_the_summary_and_counts_the_warnings() {
    let ecs = snapshot("ECS.2").display().to_string();
    let loud = run(&["scan", &ecs], None, None);
    assert!(loud.stdout.contains("warning: "), "{}", loud.stdout);
    let quiet = run(&["scan", &ecs, "--quiet"], None, None);
    assert_eq!(quiet.code, loud.code);
    let lines: Vec<&str> = quiet.stdout.lines().collect();
    assert!(
        lines[0].starts_with("3 findings and 0 indeterminate results from 3 evidence files"),
        "{}",
        quiet.stdout
    );
    assert_eq!(lines[1], "1 warnings not shown (--quiet)");
    assert!(!quiet.stdout.contains("warning: ") && !quiet.stderr.contains("warning: "));
    assert!(
        lines.iter().all(|l| !l.starts_with("HIGH")),
        "{}",
        quiet.stdout
    );
}

#[test]
fn help_shows_examples_for_every_command() {
    let commands = [
        "scan",
        "tables",
        "query",
        "reach",
        "rules",
        "diff",
        "remediate",
        "evidence",
    ];
    for command in commands {
        let help = run(&[command, "--help"], None, None);
        assert_eq!(help.code, 0);
        let examples = help.stdout.split_once("Examples:\n").map(|(_, e)| e);
        let first = examples.and_then(|e| e.lines().next()).unwrap_or_default();
        assert!(
            first.starts_with("  snapaudit "),
            "{command}: {}",
            help.stdout
        );
    }
    for sub in ["show", "new", "test"] {
        let help = run(&["rules", sub, "--help"], None, None);
        assert!(
            help.stdout.contains("Examples:\n  snapaudit rules "),
            "{sub}"
        );
    }
}

/// Runs `snapaudit ARGS` on a pseudo-terminal 70 columns wide (`script`, from util-linux); its
/// output with carriage returns removed.
fn on_a_terminal(args: &str, no_color: bool) -> String {
    let bin = env!("CARGO_BIN_EXE_snapaudit");
    let mut cmd = Command::new("script");
    cmd.args([
        "-qec",
        &format!("stty cols 70 rows 20; {bin} {args}"),
        "/dev/null",
    ]);
    cmd.env_remove("COLUMNS").env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd
        .output()
        .expect("`script` (util-linux) runs a command on a pseudo-terminal");
    String::from_utf8(out.stdout).unwrap().replace('\r', "")
}

#[test]
fn on_a_terminal_auto_colours_unless_no_color_and_takes_its_width() {
    let args = format!("scan {}", snapshot("EC2.15").display());
    let coloured = on_a_terminal(&args, false);
    assert!(coloured.contains("\u{1b}[33mMEDIUM"), "{coloured}");
    let plain = on_a_terminal(&args, true);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    let rows: Vec<&str> = plain.lines().take_while(|l| !l.is_empty()).collect();
    assert!(rows.len() > 1, "{plain}");
    for row in rows {
        assert!(row.chars().count() <= 70, "{row}");
    }
}
