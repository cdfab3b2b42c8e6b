//! The `snapaudit` command line: parses the arguments and hands them to one function per
//! command; every command ends in the same [`finish`] step.

#![warn(clippy::too_many_lines)]

mod cmd_collect;
mod cmd_docs;
mod cmd_export;
mod cmd_query;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use snapaudit::diff::render::DiffFormat;
use snapaudit::diff::{Diff, Side};
use snapaudit::evidence::{self, Diagnostic, Evidence};
use snapaudit::provenance::{self, Tool};
use snapaudit::reach::{Protocol, Query};
use snapaudit::report::coverage::{Coverage, ScopeCoverage};
use snapaudit::report::reach as reach_report;
use snapaudit::report::reach_lb;
use snapaudit::report::remediate as remediate_report;
use snapaudit::report::terminal::{ColorWhen, Terminal};
use snapaudit::report::timings::Timings;
use snapaudit::report::waivers::{Triage, Waivers};
use snapaudit::report::{Format, Report};
use snapaudit::rules::{self, Severity};
use snapaudit::shard::missing_vpc_owners;
use snapaudit::tables::Tables;

mod cmd_shards;
mod examples;
mod outcome;

use outcome::{Outcome, finish};

/// Offline audit of AWS network exposure from exported evidence (AWS CLI JSON).
#[derive(Parser)]
#[command(name = "snapaudit", version = provenance::VERSION, about, after_help = examples::MAIN)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour the scan table by severity: auto (only when stdout is a terminal and NO_COLOR is
    /// not set), always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// Print only the summary line and errors; warnings are counted, not printed.
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Read the evidence, run the rules, report findings.
    #[command(after_help = examples::SCAN)]
    Scan(ScanArgs),
    /// List the tables built from the evidence, with row counts and columns.
    #[command(after_help = examples::TABLES)]
    Tables(TablesArgs),
    /// Run a jq filter over the rows of one table; prints one JSON value per line.
    #[command(after_help = examples::QUERY)]
    Query(cmd_query::QueryArgs),
    /// Explain, hop by hop, whether the internet can reach a network interface, instance or ECS task.
    #[command(after_help = examples::REACH)]
    Reach(ReachArgs),
    /// List the rules (built-in plus `--rules` folders); `show`, `new` and `test` are the rule
    /// author's loop.
    #[command(after_help = examples::RULES)]
    Rules(RulesArgs),
    /// What changed between two audits: new, resolved, changed, unchanged and not comparable
    /// findings of two evidence paths or saved `scan --format json` reports.
    #[command(after_help = examples::DIFF)]
    Diff(DiffArgs),
    /// Print the exact fix of every finding that has one (a script, Terraform or JSON); runs
    /// nothing.
    #[command(after_help = examples::REMEDIATE)]
    Remediate(RemediateArgs),
    /// What evidence was examined (files, kinds, record counts, SHA-256, skipped files,
    /// diagnostics) and, per rule and account/region, whether its evidence was all there.
    #[command(after_help = examples::EVIDENCE)]
    Evidence(EvidenceArgs),
    /// Split the evidence into shards (per account or VPC owner) to scan in parallel.
    Shards(cmd_shards::ShardsArgs),
    /// Combine the shards' `scan --format json` reports into the report of a single scan.
    Merge(cmd_shards::MergeArgs),
    /// Print the read-only bash script that exports, per account and region, exactly the
    /// evidence the rule pack reads, with a manifest of every call.
    CollectScript(cmd_collect::CollectArgs),
    /// Write tables as CSV or JSON Lines (for spreadsheets and pandas) or Parquet (Hive layout).
    Export(cmd_export::ExportArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    Completions(cmd_docs::CompletionsArgs),
    /// Print the man page, or write every page (one per subcommand) with `--out DIR`.
    Man(cmd_docs::ManArgs),
}

/// Arguments of `scan`.
#[derive(Args)]
struct ScanArgs {
    /// Evidence files or folders (read recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit with 1 when a failure is at or above this severity (indeterminate results never
    /// count).
    #[arg(long, default_value = "low")]
    fail_on: Severity,
    /// Exit with 1 when the evidence cannot settle some result (any indeterminate result).
    #[arg(long)]
    fail_on_indeterminate: bool,
    /// List the resources that passed each rule (`passed` in JSON, status `pass` in the other
    /// formats).
    #[arg(long)]
    show_pass: bool,
    /// A folder of extra rule files, added to the built-in pack (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Run only these rule ids (repeatable).
    #[arg(long = "rule")]
    only: Vec<String>,
    /// Set a rule parameter, `RULE_ID.NAME=VALUE` (VALUE is JSON, e.g.
    /// `EC2.18.authorized_tcp_ports=[80,443,8443]`; repeatable).
    #[arg(long = "param", value_name = "RULE_ID.NAME=VALUE")]
    params: Vec<String>,
    /// Print the wall time of each phase (read, tables, reachability views, rules, report) to
    /// standard error.
    #[arg(long)]
    timings: bool,
    /// A TOML file of `[[waiver]]` tables: accepted exceptions (failures or indeterminate
    /// results), reported as suppressed and counted towards neither `--fail-on` nor
    /// `--fail-on-indeterminate`.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// The date waivers are checked against, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<jiff::civil::Date>,
    /// Limits on each rule evaluation, `time=10s,total=300s,outputs=10000,memory=1GiB` (per
    /// row; `total`: per rule over all rows; any key may be left out). A rule over its budget is
    /// stopped and reported as an error; the other rules still run.
    #[arg(long, value_name = "KEY=VALUE,...", default_value = "")]
    rule_budget: rules::budget::Budget,
}

/// Arguments of `tables`.
#[derive(Args)]
struct TablesArgs {
    /// Evidence files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// Arguments of `reach`.
#[derive(Args)]
struct ReachArgs {
    /// Evidence files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The target: an ENI id (eni-…), an instance id (i-…), an ECS task ARN, or a load
    /// balancer ARN or name (its own front: each listener from the internet).
    #[arg(long)]
    to: String,
    /// Only this destination port (tcp/udp; with --protocol icmp, the ICMP type).
    #[arg(long)]
    port: Option<u16>,
    /// Only this protocol: tcp, udp, icmp, icmpv6, all or a protocol number.
    #[arg(long, value_parser = protocol)]
    protocol: Option<Protocol>,
    /// Only internet sources in this CIDR block (default: any internet address).
    #[arg(long)]
    from: Option<ipnet::IpNet>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReachFormat::Text)]
    format: ReachFormat,
}

/// Output formats of `reach`.
#[derive(Clone, Copy, ValueEnum)]
enum ReachFormat {
    /// The path hop by hop, for a person.
    Text,
    /// The same answer as one JSON document.
    Json,
}

/// Arguments of `rules`: the list, or one of the rule author's subcommands.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct RulesArgs {
    #[command(subcommand)]
    action: Option<rules::author::Action>,
    /// A folder of extra rule files (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    format: RulesFormat,
}

/// Output formats of `rules`.
#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    /// One line per rule: id, severity, table, title.
    Table,
    /// The rules' metadata as a JSON array.
    Json,
    /// The rule catalog (RULES.md).
    Markdown,
}

/// Arguments of `diff`.
#[derive(Args)]
struct DiffArgs {
    /// The earlier side: an evidence file or folder, or a saved `scan --format json` report.
    old: PathBuf,
    /// The later side, the same way.
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    format: DiffFormat,
    /// Exit with 1 when a new finding (or a changed one whose severity rose) is at or above this
    /// severity.
    #[arg(long, default_value = "low")]
    fail_on_new: Severity,
    /// A folder of extra rule files, added to the built-in pack (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Set a rule parameter, `RULE_ID.NAME=VALUE` (as in `scan`; repeatable).
    #[arg(long = "param", value_name = "RULE_ID.NAME=VALUE")]
    params: Vec<String>,
}

/// Arguments of `remediate`.
#[derive(Args)]
struct RemediateArgs {
    /// Evidence files or folders (read recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Only the findings of these rule ids (repeatable).
    #[arg(long = "rule")]
    only: Vec<String>,
    /// A folder of extra rule files, added to the built-in pack (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RemediateFormat::Script)]
    format: RemediateFormat,
    /// Limits on each rule query and each fix, as in `scan --rule-budget`.
    #[arg(long, value_name = "KEY=VALUE,...", default_value = "")]
    rule_budget: rules::budget::Budget,
}

/// Output formats of `remediate`.
#[derive(Clone, Copy, ValueEnum)]
enum RemediateFormat {
    /// One reviewable bash script, grouped by account and region.
    Script,
    /// Per resource, the Terraform attribute to change and an import block.
    Terraform,
    /// `{"actions": [...]}`.
    Json,
}

/// Arguments of `evidence`.
#[derive(Args)]
struct EvidenceArgs {
    /// Evidence files or folders (read recursively).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EvidenceFormat::Table)]
    format: EvidenceFormat,
}

/// Output formats of `evidence`.
#[derive(Clone, Copy, ValueEnum)]
enum EvidenceFormat {
    /// Sections for a person; repeated diagnostics grouped.
    Table,
    /// Everything as one JSON document, every diagnostic included.
    Json,
}

/// mimalloc: the parse, table and rule phases are allocation-bound (many small strings and
/// values); on the 1 GB generated export it cut `scan` from 19.7 s to 14.2 s (bench/run.sh).
/// Metered: rule evaluations run under a memory and stack budget (`rules::budget`).
#[global_allocator]
static ALLOCATOR: rules::budget::Metered<mimalloc::MiMalloc> =
    rules::budget::Metered(mimalloc::MiMalloc);

fn main() -> ExitCode {
    snapaudit::allocator::return_freed_memory_promptly();
    let cli = Cli::parse();
    let term = Terminal::of_stdout(cli.color, cli.quiet);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let outcome = match cli.command {
        Command::Scan(args) => scan(args, &term, &mut out),
        Command::Tables(args) => tables(args, &mut out),
        Command::Query(args) => cmd_query::run(args, &mut out),
        Command::Reach(args) => reach(args, &mut out),
        Command::Rules(args) => list_rules(args, &mut out),
        Command::Diff(args) => diff(args, &mut out),
        Command::Remediate(args) => remediate(args, &mut out),
        Command::Evidence(args) => evidence_coverage(args, &mut out),
        Command::Shards(args) => cmd_shards::shards(args, &mut out),
        Command::Merge(args) => cmd_shards::merge(args, &term, &mut out),
        Command::CollectScript(args) => cmd_collect::run(args, &mut out),
        Command::Export(args) => cmd_export::run(args, &mut out),
        Command::Completions(args) => cmd_docs::completions(args, Cli::command(), &mut out),
        Command::Man(args) => cmd_docs::man(args, Cli::command(), &mut out),
    };
    match outcome.and_then(|outcome| finish(&mut out, outcome, term.quiet)) {
        Ok(code) => code,
        Err(e) => {
            let _ = out.flush();
            eprintln!("snapaudit: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `--protocol` as a [`Protocol`].
fn protocol(name: &str) -> Result<Protocol, String> {
    Protocol::parse(name)
        .ok_or_else(|| "use tcp, udp, icmp, icmpv6, all or a number 0-255".to_string())
}

/// Reads evidence and builds the tables; evidence errors are reported, not fatal.
fn load(paths: &[PathBuf]) -> Result<(Evidence, Tables)> {
    let mut evidence = evidence::scan(paths);
    let tables = Tables::build(&mut evidence)?;
    Ok((evidence, tables))
}

/// `scan`: the report goes to stdout, diagnostics included; exit 2 on errors, 1 on failures at
/// or above `--fail-on` (or any indeterminate result with `--fail-on-indeterminate`). An unknown
/// `--rule` or a bad `--param` stops before any evidence is read.
fn scan(args: ScanArgs, term: &Terminal, out: &mut dyn Write) -> Result<Outcome> {
    // A broken rule file is an error in the report; every other rule still runs.
    let rule_files = rules::read_folders(&args.rules);
    let (pack, mut errors) = rules::load(&rule_files);
    let pack = rules::configure(pack, &args.only, &args.params)?;
    let waivers = args.waivers.as_deref().map(Waivers::load).transpose()?;
    let mut timings = Timings::default();
    let mut evidence = evidence::scan(&args.paths);
    evidence.warnings.extend(missing_vpc_owners(&evidence));
    timings.lap("read");
    let tables = Tables::build(&mut evidence)?;
    timings.lap("tables");
    for rule in &pack {
        // Builds the views the rules read (the reachability of every interface and path); an
        // unknown table is reported by `rules::evaluate`, which asks again.
        let _ = tables.get(&rule.meta.table);
    }
    timings.lap("views");
    let mut evaluation = rules::evaluate(&pack, &tables, args.show_pass, args.rule_budget);
    timings.lap("rules");
    errors.extend(evidence.errors.iter().cloned());
    errors.append(&mut evaluation.errors);
    let failed = std::mem::take(&mut evaluation.failed);
    let indeterminate = std::mem::take(&mut evaluation.indeterminate);
    let metas: Vec<_> = pack.into_iter().map(|r| r.meta).collect();
    let tool = Tool::with_rules(&rule_files);
    let triage = match &waivers {
        Some(waivers) => waivers.apply(
            failed.into_iter().chain(indeterminate).collect(),
            args.as_of.unwrap_or_else(today),
        ),
        None => Triage::unwaived(failed, indeterminate),
    };
    // Stale waivers also go to standard error, except on the table and Markdown, which list them.
    let waiver_warnings = match args.format {
        Format::Table | Format::Markdown => Vec::new(),
        _ => triage.warnings.clone(),
    };
    let coverage = ScopeCoverage::new(&evidence, &tables, &metas)?;
    timings.lap("coverage");
    let report =
        Report::new(tool, triage, evaluation, &evidence, metas, errors).with_coverage(coverage);
    report.write(args.format, Some(&tables), out, term)?;
    out.flush()?;
    timings.lap("report");
    if args.timings {
        timings.write(&mut std::io::stderr())?;
    }
    // The process ends right after: freeing the evidence records, tables and engine inputs one
    // allocation at a time would only delay the exit (a tenth of the run on large exports).
    std::mem::forget(tables);
    std::mem::forget(evidence);
    Ok(Outcome {
        warnings: waiver_warnings,
        ..Outcome::status(if !report.errors.is_empty() {
            2
        } else if report.fails(args.fail_on, args.fail_on_indeterminate) {
            1
        } else {
            0
        })
    })
}

/// Today's date in UTC, the default of `--as-of`.
fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// `remediate`: the fixes of the findings, printed for review; exit 2 when evidence or a fix
/// could not be used.
fn remediate(args: RemediateArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (pack, tool) = load_pack(&args.rules)?;
    let pack = rules::configure(pack, &args.only, &[])?;
    let (evidence, tables) = load(&args.paths)?;
    let (actions, errors) = rules::fix::actions(&pack, &tables, args.rule_budget);
    match args.format {
        RemediateFormat::Script => remediate_report::write_script(out, &tool, &actions)?,
        RemediateFormat::Terraform => remediate_report::write_terraform(out, &tool, &actions)?,
        RemediateFormat::Json => write_json(out, &remediate_report::to_json(&tool, &actions)?)?,
    }
    let mut outcome = Outcome::of_evidence(evidence);
    if !errors.is_empty() {
        outcome.status = 2;
    }
    outcome.errors.extend(errors);
    Ok(outcome)
}

/// `evidence`: the coverage of the built-in rules over the evidence; diagnostics are part of
/// the output, so only the status (2 when some evidence could not be read) is left to finish.
fn evidence_coverage(args: EvidenceArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (pack, _) = load_pack(&[])?;
    let (evidence, tables) = load(&args.paths)?;
    let metas: Vec<_> = pack.into_iter().map(|r| r.meta).collect();
    let coverage = Coverage::new(&evidence, &tables, &metas)?;
    match args.format {
        EvidenceFormat::Table => coverage.write_table(out)?,
        EvidenceFormat::Json => write_json(out, &serde_json::to_value(&coverage)?)?,
    }
    Ok(Outcome::status(if evidence.errors.is_empty() {
        0
    } else {
        2
    }))
}

/// `tables`: every table with its row count and column types.
fn tables(args: TablesArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (evidence, tables) = load(&args.paths)?;
    for name in tables.names() {
        writeln!(out, "{name} ({} rows)", tables.get(name)?.height())?;
        for (column, dtype) in tables.columns(name)? {
            writeln!(out, "  {column:<28} {dtype}")?;
        }
    }
    Ok(Outcome::of_evidence(evidence))
}

/// `reach`: the path from the internet to one target, hop by hop.
fn reach(args: ReachArgs, out: &mut dyn Write) -> Result<Outcome> {
    let query = Query {
        protocol: args.protocol,
        port: args.port,
        from: args.from,
    };
    let (evidence, tables) = load(&args.paths)?;
    if let Some(lb) = reach_lb::find_balancer(&tables, &args.to) {
        let answer = reach_lb::balancer_json(&tables, lb)?;
        match args.format {
            ReachFormat::Json => write_json(out, &answer)?,
            ReachFormat::Text => reach_lb::write_balancer(out, &answer)?,
        }
        return Ok(Outcome::of_evidence(evidence));
    }
    let enis = reach_report::resolve(&tables, &args.to)?;
    let answer = reach_report::target_json(&tables, &args.to, &enis, &query)?;
    match args.format {
        ReachFormat::Json => write_json(out, &answer)?,
        ReachFormat::Text => reach_report::write_text(out, &answer)?,
    }
    Ok(Outcome::of_evidence(evidence))
}

/// A JSON document, pretty-printed, on its own line.
fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// `diff`: both sides read with the same rule pack, compared, rendered; exit 2 when a side
/// cannot be read, 1 when something new reaches `--fail-on-new`.
fn diff(args: DiffArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (pack, tool) = load_pack(&args.rules)?;
    let pack = rules::configure(pack, &[], &args.params)?;
    let old = Side::load(&args.old, &pack)?;
    let new = Side::load(&args.new, &pack)?;
    let diff = Diff::compare(&old, &new, &pack);
    snapaudit::diff::render::write(&diff, &tool, args.format, out)?;
    Ok(Outcome::status(u8::from(diff.fails(args.fail_on_new))))
}

/// The rule pack and the tool it makes (its load errors, one per line, as one error).
fn load_pack(folders: &[PathBuf]) -> Result<(Vec<rules::Rule>, Tool)> {
    let files = rules::read_folders(folders);
    let (pack, errors) = rules::load(&files);
    if errors.is_empty() {
        Ok((pack, Tool::with_rules(&files)))
    } else {
        let lines: Vec<String> = errors.iter().map(Diagnostic::to_string).collect();
        Err(anyhow!(lines.join("\n")))
    }
}

/// `rules`: the rule pack as a table, JSON or the Markdown catalog; or a subcommand's work.
fn list_rules(args: RulesArgs, out: &mut dyn Write) -> Result<Outcome> {
    if let Some(action) = args.action {
        return Ok(Outcome::status(action.run(out)?));
    }
    let (pack, _) = load_pack(&args.rules)?;
    match args.format {
        RulesFormat::Json => {
            let metas: Vec<_> = pack.iter().map(|r| &r.meta).collect();
            serde_json::to_writer_pretty(&mut *out, &metas)?;
            writeln!(out)?;
        }
        RulesFormat::Markdown => write!(out, "{}", rules::catalog(&pack))?,
        RulesFormat::Table => {
            for r in &pack {
                let m = &r.meta;
                let severity = m.severity.as_str();
                writeln!(
                    out,
                    "{:<10} {severity:<9} {:<20} {}",
                    m.id, m.table, m.title
                )?;
            }
        }
    }
    Ok(Outcome::status(0))
}
