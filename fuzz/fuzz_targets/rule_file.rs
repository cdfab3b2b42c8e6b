//! The rule compiler on one rule file's text: the TOML, the jq query and fix compiled with jaq,
//! the load-time checks, and the query run on one small fixed row under a small budget. Whatever
//! the text, loading returns an error or a rule, and the run returns a verdict within budget.
#![no_main]

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use snapaudit::rules::{self, budget, check, sandbox};

/// As in the binary: rule evaluations are metered, so a query cannot allocate without bound.
#[global_allocator]
static ALLOCATOR: budget::Metered<std::alloc::System> = budget::Metered(std::alloc::System);

static SCHEMAS: LazyLock<check::Schemas> =
    LazyLock::new(|| check::Schemas::of_tables().expect("the empty tables build"));

/// A row of the shape rules see: scalars, a list, a nested object and a reference.
static ROW: LazyLock<Arc<Value>> = LazyLock::new(|| {
    Arc::new(json!({
        "account": "111122223333",
        "region": "eu-west-1",
        "GroupId": "sg-0123456789abcdef0",
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "CidrIp": "0.0.0.0/0",
        "Tags": [{"Key": "Name", "Value": "web"}],
        "public": true,
        "group_ref": "sg.json:0:/SecurityGroups/0"
    }))
});

/// Small enough for many runs per second, large enough for every built-in rule.
const BUDGET: budget::Budget = budget::Budget {
    time: Duration::from_millis(200),
    total: Duration::from_secs(1),
    outputs: 100,
    memory: 16 << 20,
};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return; // rule folders are read as UTF-8 text; anything else is refused before this
    };
    let rule = match rules::compile_rule("fuzzed.toml", text) {
        Ok(rule) => rule,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    // The checks run for what they may break; the query runs whatever they say, since the row is
    // not of the rule's table anyway (a seed's id is not `fuzzed`, so they rarely pass).
    let _problems = check::problems(&rule, &SCHEMAS);
    let ledger = sandbox::Ledger::new(BUDGET, vec![rule.task()]);
    let verdict = ledger.run_one(Arc::clone(&ROW), 0, None);
    assert!(!matches!(verdict, sandbox::Verdict::Skipped));
});
