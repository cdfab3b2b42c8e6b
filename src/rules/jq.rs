//! The jq side of rules: compiling a query once with jaq, and running it on a row.
//! Rules see only the evidence: no environment, no clock, no files, no imports.

use anyhow::{Result, anyhow, bail};
use jaq_core::load::{self, Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::Val;
use serde::Deserialize as _;

type Data = data::JustLut<Val>;

/// A compiled jq filter.
pub type Filter = jaq_core::Filter<Data>;

/// Global variables a query may use, in the order their values are passed.
pub const GLOBALS: [&str; 1] = ["$params"];

/// Global variables a rule's fix may use: the rule's parameters, the finding it fixes and the
/// rows its lookups found, in the order their values are passed.
pub const FIX_GLOBALS: [&str; 3] = ["$params", "$finding", "$lookup"];

/// Native filters withheld from rules: they read the environment, the clock or the machine's
/// local time zone, so a rule using them would not be a pure function of the evidence.
/// (`halt` stays: `run` turns it into an error instead of stopping the process.)
const WITHHELD: [&str; 4] = ["env", "now", "localtime", "strflocaltime"];

/// The rule pack's library: definitions every query can use (`queries/lib.jq`).
pub const LIBRARY: &str = include_str!("../../queries/lib.jq");

/// The library's definitions.
fn library() -> Result<Vec<load::parse::Def<&'static str>>> {
    load::parse(LIBRARY, |p| p.defs())
        .ok_or_else(|| anyhow!("queries/lib.jq does not parse; check it with `jaq -n -f`"))
}

/// 1-based line and column of a byte offset in `code`.
pub fn line_col(code: &str, offset: usize) -> (usize, usize) {
    let before = &code[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(offset, |nl| offset - nl - 1) + 1;
    (line, col)
}

/// Compiles `code`; errors are `line L, column C: message`, with `line_offset` added to lines so
/// that they point into the rule file rather than into the query string.
pub fn compile(code: &str, line_offset: usize) -> Result<Filter> {
    compile_with(code, line_offset, &GLOBALS)
}

/// The longest query a rule may have. jaq parses and compiles recursively, one level per
/// bracket, operator or keyword, so the stack a query needs grows with its nesting, which its
/// length bounds; the longest built-in query is under 6 KiB.
pub const MAX_QUERY_BYTES: usize = 64 << 10;

/// Stack of the thread a query is compiled on, reserved rather than used: room for a query of
/// [`MAX_QUERY_BYTES`] nested as deeply as its length allows. The main thread's 8 MiB overflowed
/// at 3,000 nested parentheses in a debug build; the deepest 64 KiB query tried there (unary
/// minus on every byte) peaked at 790 MB.
const COMPILE_STACK: usize = 1 << 30;

/// [`compile`] with other global variables (`$name`, in the order their values are passed). The
/// query is compiled on a thread of its own with a stack of [`COMPILE_STACK`] bytes (reserved,
/// not used, unless the query is deeply nested); a longer one than [`MAX_QUERY_BYTES`] is an
/// error, so no query can overflow it.
pub fn compile_with(code: &str, line_offset: usize, globals: &[&'static str]) -> Result<Filter> {
    if code.len() > MAX_QUERY_BYTES {
        bail!(
            "line {}: the query is {} bytes long; a query may have at most {MAX_QUERY_BYTES}",
            line_offset + 1,
            code.len()
        );
    }
    std::thread::scope(|scope| {
        let compiling = std::thread::Builder::new()
            .name("jq compiler".into())
            .stack_size(COMPILE_STACK)
            .spawn_scoped(scope, || compile_here(code, line_offset, globals))?;
        (compiling.join())
            .unwrap_or_else(|_| bail!("the query could not be compiled (jaq panicked)"))
    })
}

/// [`compile_with`] on the calling thread.
fn compile_here(code: &str, line_offset: usize, globals: &[&'static str]) -> Result<Filter> {
    let at = |found: &str| {
        let start = found.as_ptr() as usize;
        let base = code.as_ptr() as usize;
        if (base..=base + code.len()).contains(&start) {
            let (l, c) = line_col(code, load::span(code, found).start);
            format!("line {}, column {c}", l + line_offset)
        } else {
            "in the standard library or queries/lib.jq".to_string()
        }
    };
    let arena = Arena::default();
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .chain(library()?);
    let modules =
        Loader::new(defs)
            .load(&arena, File { code, path: () })
            .map_err(|errs| {
                let mut msgs = Vec::new();
                for (_, err) in &errs {
                    match err {
                        load::Error::Lex(es) => msgs.extend(es.iter().map(|(exp, found)| {
                            format!("{}: expected {}", at(found), exp.as_str())
                        })),
                        load::Error::Parse(es) => msgs.extend(es.iter().map(|(exp, found)| {
                            format!("{}: expected {}", at(found), exp.as_str())
                        })),
                        load::Error::Io(es) => msgs.extend(es.iter().map(|(path, _)| {
                            format!("{}: rules cannot import or include other files", at(path))
                        })),
                    }
                }
                anyhow!(msgs.join("\n"))
            })?;
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs())
        .filter(|(name, _, _)| !WITHHELD.contains(name));
    Compiler::default()
        .with_funs(funs)
        .with_global_vars(globals.iter().copied())
        .compile(modules)
        .map_err(|errs| {
            let msgs: Vec<String> = errs
                .iter()
                .flat_map(|(_, es)| es)
                .map(|(found, undefined)| {
                    let why = if WITHHELD.contains(found) || found.starts_with("$ENV") {
                        " (rules see only the evidence: no environment, clock or process control)"
                    } else {
                        ""
                    };
                    format!(
                        "{}: undefined {} `{found}`{why}",
                        at(found),
                        undefined.as_str()
                    )
                })
                .collect();
            anyhow!(msgs.join("\n"))
        })
}

/// serde_json → jaq value, without going through text.
pub fn to_val(v: &serde_json::Value) -> Result<Val> {
    Ok(Val::deserialize(v)?)
}

/// jaq value → serde_json (jaq values print as JSON).
pub fn from_val(v: &Val) -> Result<serde_json::Value> {
    Ok(serde_json::from_str(&v.to_string())?)
}

/// Runs `filter` on `input` and collects every output; a runtime error or `halt` is an error.
pub fn run(filter: &Filter, input: Val, globals: &[Val]) -> Result<Vec<Val>> {
    run_at_most(filter, input, globals, usize::MAX)
}

/// [`run`], taking at most `limit` outputs (the rest are never computed).
pub fn run_at_most(filter: &Filter, input: Val, globals: &[Val], limit: usize) -> Result<Vec<Val>> {
    let ctx = Ctx::<Data>::new(&filter.lut, Vars::new(globals.iter().cloned()));
    let mut out = Vec::new();
    for r in filter.id.run((ctx, input)).take(limit) {
        match r {
            Ok(v) => out.push(v),
            Err(exn) => match exn.get_err() {
                Ok(err) => bail!("{err}"),
                Err(_) => bail!("the query stopped the run"),
            },
        }
    }
    Ok(out)
}
