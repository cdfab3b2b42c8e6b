//! The jq side of rules: compiling a query once with jaq, and running it on a row.
//! Rules see only the evidence: no environment, no clock, no files, no imports.

use anyhow::{Result, anyhow, bail};
use std::cmp::Ordering;
use std::sync::OnceLock;

use jaq_core::load::{self, Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Cv, Error, Exn, Native, ValXs, Vars, data, native};
use jaq_json::{Num, Val};

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

/// The definitions every query is compiled with: jaq's core, standard and JSON ones and the
/// library's.
type Prelude = Vec<load::parse::Def<&'static str>>;

/// The [`Prelude`], parsed once per process and cloned for each compile: parsing it was about
/// half the work of compiling a rule (jaq 3's `Compiler::compile` takes the prelude and the
/// query together and is consumed, so the prelude's compiled form cannot be shared as well).
fn prelude() -> Result<Prelude> {
    static PRELUDE: OnceLock<Result<Prelude, String>> = OnceLock::new();
    let parsed = PRELUDE.get_or_init(|| {
        let library = load::parse(LIBRARY, |p| p.defs())
            .ok_or("queries/lib.jq does not parse; check it with `jaq -n -f`")?;
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        Ok(defs.chain(library).collect())
    });
    parsed.clone().map_err(|e| anyhow!(e))
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
    let modules =
        Loader::new(prelude()?)
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
        .filter(|(name, _, _)| !WITHHELD.contains(name) && *name != "range")
        .chain([("range", native::v(3), Native::<Data>::new(range))]);
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

/// `range($from; $upto; $by)`, as jaq's own (jaq-core's `funs::range`), except that it ends with
/// an error once the rule sandbox running it is abandoned ([`super::budget::abandoned`]): it is
/// the one jq loop that allocates nothing, so the allocator's check would never stop it.
fn range<'a>(mut cv: Cv<'a, Data>) -> ValXs<'a, Val> {
    let by = cv.0.pop_var();
    let upto = cv.0.pop_var();
    let mut next = Ok(cv.0.pop_var());
    let direction = by
        .partial_cmp(&Val::from(0isize))
        .unwrap_or(Ordering::Equal);
    let mut stopped = false;
    Box::new(std::iter::from_fn(move || {
        if stopped {
            return None;
        }
        if super::budget::abandoned() {
            stopped = true;
            let why = "the evaluation was abandoned (over its budget)";
            return Some(Err(Exn::from(Error::str(why))));
        }
        match next.clone() {
            Ok(x) => match direction {
                Ordering::Greater => x < upto,
                Ordering::Less => x > upto,
                Ordering::Equal => x != upto,
            }
            .then(|| std::mem::replace(&mut next, (x + by.clone()).map_err(Exn::from))),
            Err(e) => {
                next = Ok(upto.clone());
                Some(Err(e))
            }
        }
    }))
}

/// serde_json → jaq value, without going through text: the value `Val`'s own `Deserialize`
/// gives (integers as machine or big integers, other numbers as floats, objects in key order),
/// built directly rather than through serde's visitor.
pub fn to_val(v: &serde_json::Value) -> Result<Val> {
    Ok(val_of(v))
}

/// [`to_val`], which cannot fail.
fn val_of(v: &serde_json::Value) -> Val {
    use serde_json::Value;
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Num::from_integral(u),
            (None, Some(i)) => Num::from_integral(i),
            (None, None) => Num::Float(n.as_f64().unwrap_or(f64::NAN)),
        }),
        Value::String(s) => Val::utf8_str(s.clone().into_bytes()),
        Value::Array(items) => items.iter().map(val_of).collect(),
        Value::Object(entries) => Val::obj(
            (entries.iter())
                .map(|(k, v)| (Val::utf8_str(k.clone().into_bytes()), val_of(v)))
                .collect(),
        ),
    }
}

/// jaq value → serde_json: the value its JSON text parses to (and the same error when it does
/// not parse), without writing the text for the values that convert directly.
pub fn from_val(v: &Val) -> Result<serde_json::Value> {
    match direct(v, 0) {
        Some(value) => Ok(value),
        None => Ok(serde_json::from_str(&v.to_string())?),
    }
}

/// How deep [`direct`] converts; serde_json refuses text nested deeper than 128.
const DIRECT_DEPTH: usize = 100;

/// `v` as serde_json when every part of it converts without text: null, booleans, machine
/// integers, finite floats, UTF-8 strings, arrays and objects with UTF-8 string keys, not nested
/// deeper than [`DIRECT_DEPTH`]. `None` for anything else (big integers, decimals, byte strings,
/// NaN), which only the text says how serde_json reads.
fn direct(v: &Val, depth: usize) -> Option<serde_json::Value> {
    use serde_json::Value;
    let text = |bytes: &[u8]| std::str::from_utf8(bytes).ok().map(str::to_string);
    if depth > DIRECT_DEPTH {
        return None;
    }
    Some(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(Num::Int(n)) => Value::from(*n as i64),
        Val::Num(Num::Float(x)) if x.is_finite() => Value::from(*x),
        Val::TStr(s) => Value::String(text(s)?),
        Val::Arr(items) => Value::Array(
            (items.iter())
                .map(|item| direct(item, depth + 1))
                .collect::<Option<_>>()?,
        ),
        Val::Obj(entries) => Value::Object(
            (entries.iter())
                .map(|(key, value)| match key {
                    Val::TStr(k) => Some((text(k)?, direct(value, depth + 1)?)),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        Val::Num(_) | Val::BStr(_) => return None,
    })
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

#[cfg(test)]
mod tests {
    use serde::Deserialize as _;

    use super::*;

    /// Every output of `code` (run on null) converts to what its JSON text parses to.
    fn converts_as_text(code: &str) -> usize {
        let filter = compile(code, 0).unwrap();
        let outputs = run(&filter, Val::Null, &[Val::Null]).unwrap();
        for v in &outputs {
            let by_text = serde_json::from_str::<serde_json::Value>(&v.to_string());
            match (from_val(v), by_text) {
                (Ok(direct), Ok(text)) => assert_eq!(direct, text, "{v}"),
                (Err(direct), Err(text)) => assert_eq!(direct.to_string(), text.to_string()),
                (direct, text) => panic!("{v}: {direct:?} against {text:?}"),
            }
        }
        outputs.len()
    }

    #[test]
    fn values_convert_as_val_deserializes_them() {
        let text = r#"[null, true, 0, -7, 18446744073709551615, -9223372036854775808, 1.5, 3.0,
            -0.0, 1e300, "é\n", {"b": [1, {"a": null}], "a": "x", "": []}, [[]], {}]"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let by_serde = Val::deserialize(&value).unwrap();
        assert_eq!(
            format!("{:?}", to_val(&value).unwrap()),
            format!("{by_serde:?}")
        );
    }

    #[test]
    fn outputs_convert_as_their_text_parses() {
        let scalars = r#"null, true, 0, -7, 9007199254740993, 1.5, 3.0, 1e300, -0.0, "é\n\"", 100000000000000000000000, 1.10"#;
        assert_eq!(converts_as_text(scalars), 12);
        let nested =
            r#"{b: [1, {a: null}], a: "x", "c d": [[]]}, [nan], [infinite], {"k": [-infinite]}"#;
        assert_eq!(converts_as_text(nested), 4);
        assert_eq!(
            converts_as_text("[limit(150; repeat(0))] | reduce .[] as $x (1; [.])"),
            1
        );
    }
}
