//! Every rule of the built-in pack against its fixture folder `snapshots/<RULE_ID>/`: the rule
//! alone, its findings snapshotted (one snapshot per rule, named by the rule id).

use std::path::PathBuf;

use snapaudit::evidence;
use snapaudit::rules;
use snapaudit::tables::Tables;

#[test]
fn every_rule_matches_its_fixture() {
    let pack = rules::load(&[] as &[PathBuf]).expect("the built-in rules compile");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root.join("tests/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    for rule in &pack {
        let id = &rule.meta.id;
        let folder = root.join("snapshots").join(id);
        assert!(
            folder.is_dir(),
            "rule {id} has no fixture folder {}",
            folder.display()
        );
        let mut evidence = evidence::scan(&[folder]);
        assert!(evidence.errors.is_empty(), "{id}: {:?}", evidence.errors);
        let tables = Tables::build(&mut evidence).expect("tables build");
        let (findings, errors) = rules::run(std::slice::from_ref(rule), &tables);
        assert!(errors.is_empty(), "{id}: {errors:?}");
        assert!(!findings.is_empty(), "{id} finds nothing in its fixture");
        settings.bind(|| insta::assert_json_snapshot!(id.as_str(), findings));
    }
}
