//! Real AWS CLI exports published by others (`../shared/corpus`, when present) load without
//! errors and give the record counts they hold (counted independently of snapaudit).
//! Without the corpus these tests say that they were skipped, and fail under `CI=true`.

use std::path::{Path, PathBuf};

use snapaudit::evidence::{self, Kind};

/// The corpus folder, or `None` (with a note on stderr) when it is absent; under `CI=true` an
/// absent corpus fails the test, so that CI cannot pass without checking it.
fn corpus(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!(
        "{} is not there (the shared corpus sits beside this repository)",
        dir.display()
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: CI=true, but {why}; CI must check the corpus"
    );
    eprintln!("{test}: SKIPPED, {why}");
    None
}

/// Records per kind after duplicates are dropped.
fn counts(corpus: &Path, folder: &str) -> Vec<(&'static str, usize)> {
    let root = corpus.join(folder);
    let ev = evidence::scan(&[root]);
    assert!(ev.errors.is_empty(), "{folder}: {:?}", ev.errors);
    Kind::ALL
        .iter()
        .map(|k| (k.key(), ev.records.count(*k)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn real_exports_load_with_the_counts_they_hold() {
    let Some(corpus) = corpus("real_exports_load_with_the_counts_they_hold") else {
        return;
    };
    let expected: [(&str, &[(&str, usize)]); 6] = [
        (
            "aws-cli",
            &[
                ("services", 1),
                ("taskSets", 1),
                ("tasks", 4),
                ("NetworkInterfaces", 3),
                ("NetworkAcls", 2),
                ("RouteTables", 3),
                ("InternetGateways", 1),
                ("Subnets", 1),
                ("Vpcs", 2),
                ("Reservations", 1),
                ("Addresses", 4),
            ],
        ),
        ("aws-ecs-architecture", &[("services", 2)]),
        (
            "batfish",
            &[
                ("NetworkInterfaces", 37),
                ("SecurityGroups", 52),
                ("NetworkAcls", 17),
                ("RouteTables", 28),
                ("InternetGateways", 10),
                ("Subnets", 31),
                ("Vpcs", 19),
                ("Reservations", 27),
                ("Addresses", 1),
                ("PrefixLists", 8),
                ("NatGateways", 1),
                // Load balancing, counted with python over every JSON file of the folder: the
                // distinct LoadBalancerArn / TargetGroupArn / ListenerArn of `LoadBalancers`,
                // `TargetGroups` and `LoadBalancerListeners[].Listeners`, the (target group,
                // Id, Port) of `LoadBalancerTargetHealth[].TargetHealthDescriptions` and the
                // (LoadBalancerArn, Key) of `LoadBalancerAttributes[].Attributes`.
                ("LoadBalancers", 1),
                ("TargetGroups", 10),
                ("Listeners", 1),
                ("TargetHealthDescriptions", 2),
                ("Attributes", 5),
            ],
        ),
        (
            "botocore",
            &[
                ("services", 1),
                ("tasks", 1),
                ("NetworkInterfaces", 1),
                ("NetworkAcls", 1),
                ("RouteTables", 1),
                ("InternetGateways", 1),
                ("Subnets", 1),
                ("Vpcs", 1),
                ("Addresses", 2),
            ],
        ),
        (
            "cloud-custodian",
            &[
                ("services", 9),
                ("taskSets", 1),
                ("tasks", 7),
                ("NetworkInterfaces", 12),
                ("SecurityGroups", 8),
                ("NetworkAcls", 1),
                ("RouteTables", 21),
                ("InternetGateways", 3),
                ("Subnets", 13),
                ("Vpcs", 1),
                ("Reservations", 5),
                ("Addresses", 3),
            ],
        ),
        (
            "cloudmapper",
            &[
                ("tasks", 1),
                ("NetworkInterfaces", 1),
                ("SecurityGroups", 8),
                ("Subnets", 4),
                ("Vpcs", 1),
                ("Reservations", 1),
            ],
        ),
    ];
    for (folder, want) in expected {
        let mut want = want.to_vec();
        let mut got = counts(&corpus, folder);
        want.sort();
        got.sort();
        assert_eq!(got, want, "{folder}");
    }
}

#[test]
fn recorded_api_errors_in_real_exports_are_warnings() {
    let Some(dir) = corpus("recorded_api_errors_in_real_exports_are_warnings") else {
        return;
    };
    let ev =
        evidence::scan(&[dir.join("cloud-custodian/tests/data/placebo/test_ecs_service_subnet")]);
    assert!(ev.errors.is_empty());
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.message.contains("InvalidSubnetID.NotFound")),
        "{:?}",
        ev.warnings
    );
}
