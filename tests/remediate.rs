//! `snapaudit remediate`: each fix filled in from the evidence, its preflight warnings, the
//! script's syntax (bash -n and shellcheck) and the JSON and Terraform shapes.

mod common;

use std::path::{Path, PathBuf};

use common::{check_script, root, snapaudit, snapshot};
use serde_json::Value;

/// The fixture of the preflight cases.
fn fixture() -> PathBuf {
    root().join("tests/fixtures/remediate")
}

/// The fixture that adds a describe-security-group-rules export and two groups to the demo.
fn rule_ids_fixture() -> String {
    root()
        .join("tests/fixtures/remediate-sgr")
        .display()
        .to_string()
}

/// `remediate` of `path` with extra arguments; it must succeed.
fn remediate(path: &Path, extra: &[&str]) -> String {
    let shown = path.display().to_string();
    let mut args = vec!["remediate", shown.as_str()];
    args.extend(extra);
    let run = snapaudit(&args);
    assert_eq!(run.code, 0, "remediate failed: {}", run.stderr);
    run.stdout
}

/// The JSON actions of `path`, with extra arguments (more paths, `--rule ID`).
fn actions(path: &Path, more: &[&str]) -> Vec<Value> {
    let mut extra = vec!["--format", "json"];
    extra.extend(more);
    let out: Value = serde_json::from_str(&remediate(path, &extra)).unwrap();
    out["actions"].as_array().unwrap().clone()
}

/// The action fixing `resource` (its id ends with it) under `rule`.
fn action<'a>(actions: &'a [Value], rule: &str, resource: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["rule_id"] == rule && a["resource_id"].as_str().unwrap().ends_with(resource))
        .unwrap_or_else(|| panic!("no {rule} action for {resource} in {actions:#?}"))
}

/// A list of strings of an action, joined by newlines.
fn text(action: &Value, key: &str) -> String {
    let lines = action[key].as_array().unwrap();
    let lines: Vec<&str> = lines.iter().map(|l| l.as_str().unwrap()).collect();
    lines.join("\n")
}

#[test]
fn public_subnets_without_nat_propose_the_nat_routed_subnets_of_the_vpc() {
    let all = actions(&fixture(), &[]);
    let web = action(&all, "ECS.2", "service/prod/web");
    let warnings = text(web, "warnings");
    assert!(warnings.contains("image pulls will fail"), "{warnings}");
    assert!(
        warnings.contains("subnet-0a1private00000001, subnet-0a1private00000002 "),
        "the NAT-routed private subnets are proposed by id: {warnings}"
    );
    assert!(
        !warnings.contains("subnet-0a1private00000003"),
        "a subnet behind a failed NAT gateway is not proposed: {warnings}"
    );
    assert!(
        warnings.contains("no longer reachable from the internet"),
        "{warnings}"
    );
    let commands = text(web, "commands");
    assert!(
        commands.contains(
            "\"subnets\": [\"subnet-0a1public000000001\", \"subnet-0a1public000000002\"]"
        )
    );
    assert!(commands.contains("\"securityGroups\": [\"sg-0web00000000000001\"]"));
    assert!(commands.contains("\"assignPublicIp\": \"DISABLED\""));
    assert!(commands.contains(
        "aws ecs update-service --cluster 'prod' --service 'web' --network-configuration \
         'file://network-config-prod-web.json' --force-new-deployment --region 'eu-central-1'"
    ));
    let verify = text(web, "verify");
    assert!(verify.contains("aws ecs wait services-stable --cluster 'prod' --services 'web'"));
    assert!(verify.contains("assignPublicIp"));
    assert!(verify.contains("Association.PublicIp"));
}

#[test]
fn a_vpc_without_nat_routes_says_so_and_one_with_endpoints_needs_no_warning() {
    let all = actions(&fixture(), &[]);
    let isolated = text(action(&all, "ECS.2", "it's-isolated"), "warnings");
    assert!(isolated.contains("no subnet of the VPC routes through an available NAT gateway"));
    let reports = action(&all, "ECS.2", "service/prod/reports");
    assert_eq!(
        reports["warnings"],
        Value::Array(Vec::new()),
        "ECR and S3 endpoints and a load balancer: nothing to warn about"
    );
}

#[test]
fn a_code_deploy_service_gets_the_codedeploy_route_never_update_service() {
    let all = actions(&fixture(), &[]);
    let shop = action(&all, "ECS.2", "service/prod/shop");
    assert!(text(shop, "warnings").contains("CODE_DEPLOY"));
    let commands = text(shop, "commands");
    assert!(!commands.contains("update-service"), "{commands}");
    assert!(commands.contains("CodeDeploy deployment"), "{commands}");
    assert!(commands.contains("\"sg-0shop0000000000001\",\"sg-0shop0000000000002\""));
}

#[test]
fn evidence_values_are_shell_quoted() {
    let script = remediate(&fixture(), &[]);
    assert!(
        script.contains("--service 'it'\\''s-isolated'"),
        "a quote in a name stays inside one word"
    );
    check_script("quoted", &script);
}

#[test]
fn the_blue_green_fix_replaces_the_task_set() {
    let all = actions(&snapshot("demo"), &["--rule", "ECS.16"]);
    let green = action(&all, "ECS.16", "ecs-svc/4103471355414892036");
    let commands = text(green, "commands");
    let order = [
        "create-task-set --cluster 'demo' --service 'checkout' --task-definition \
         'arn:aws:ecs:eu-west-1:111122223333:task-definition/checkout:4'",
        "update-service-primary-task-set",
        "update-task-set --cluster 'demo' --service 'checkout' --task-set \
         'arn:aws:ecs:eu-west-1:111122223333:task-set/demo/checkout/ecs-svc/4103471355414892036' \
         --scale value=0,unit=PERCENT",
        "delete-task-set",
    ];
    let mut at = 0;
    for step in order {
        let found = commands[at..].find(step);
        at += found.unwrap_or_else(|| panic!("{step} missing or out of order:\n{commands}"));
    }
    assert!(
        commands.contains("checkout-green/e52ae8569fc290da"),
        "same load balancer"
    );
    assert!(
        commands.contains("--scale 'value=100,unit=PERCENT'"),
        "same scale"
    );
    assert_eq!(
        commands.matches("update-task-set").count(),
        1,
        "update-task-set only drains the old task set"
    );
    assert!(
        green["terraform"]
            .as_str()
            .unwrap()
            .contains("create_before_destroy = true")
    );
}

#[test]
fn a_drifted_task_with_an_elastic_ip_is_disassociated() {
    let all = actions(&snapshot("demo"), &["--rule", "SA.ECS.1"]);
    let drifted = action(&all, "SA.ECS.1", "7171e6fae1415c5aac199089efcbf6d5");
    assert_eq!(
        text(drifted, "commands"),
        "aws ec2 disassociate-address --association-id 'eipassoc-09b194c25f93acea0' --region 'eu-west-1'"
    );
    assert!(text(drifted, "warnings").contains("drift"));
    let configured = action(&all, "SA.ECS.1", "4b4c3c0586c3e4c71579fe20289a4b3c");
    assert_eq!(configured["commands"], Value::Array(Vec::new()));
    assert!(text(configured, "warnings").contains("the ECS.2 fix of service"));
}

#[test]
fn the_demo_script_names_the_real_ids_and_passes_bash_and_shellcheck() {
    let script = remediate(&snapshot("demo"), &[]);
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains("\nset -euo pipefail\n"));
    assert!(script.contains("# ==== account 111122223333, region eu-west-1 ===="));
    for id in [
        "subnet-0ea3109ea34181951",
        "subnet-09bca68680e57f3b7",
        "sg-043d2ffe47dc0871a",
        "eipassoc-09b194c25f93acea0",
        "# Evidence: ecs/describe-services.json /services/0 (record)",
        "# WARNING: the evidence lacks `aws ec2 describe-nat-gateways`",
    ] {
        assert!(script.contains(id), "{id} missing from the script");
    }
    // EC2.13, EC2.18, EC2.19 and SA.NET.1 all flag tcp 22 from 0.0.0.0/0 on the bastion's group:
    // the revoke runs once (a second one would stop the script), the others say it is done.
    let revoke = "aws ec2 revoke-security-group-ingress --group-id 'sg-05b53eeb660f1dcab'";
    let run = script.lines().filter(|l| l.starts_with(revoke)).count();
    let named = (script.lines())
        .filter(|l| l.starts_with(&format!("# Already done above: {revoke}")))
        .count();
    assert_eq!((run, named), (1, 3), "{script}");
    check_script("demo", &script);
}

/// The revoke, by its permission, of tcp `port` from 0.0.0.0/0 in group `group` of eu-west-1.
fn revoke_world_tcp(group: &str, port: u16) -> String {
    format!(
        "aws ec2 revoke-security-group-ingress --group-id '{group}' --ip-permissions \
         '[{{\"IpProtocol\":\"tcp\",\"FromPort\":{port},\"ToPort\":{port},\
         \"IpRanges\":[{{\"CidrIp\":\"0.0.0.0/0\"}}]}}]' --region 'eu-west-1'"
    )
}

#[test]
fn a_group_finding_revokes_exactly_the_offending_permission() {
    let all = actions(&snapshot("demo"), &["--rule", "EC2.13"]);
    let group = action(&all, "EC2.13", "sg-05b53eeb660f1dcab");
    assert_eq!(
        text(group, "commands"),
        revoke_world_tcp("sg-05b53eeb660f1dcab", 22)
    );
    let terraform = group["terraform"].as_str().unwrap();
    assert!(terraform.contains("aws_vpc_security_group_ingress_rule"));
    assert!(terraform.contains("id = \"sg-05b53eeb660f1dcab\""));
}

#[test]
fn an_exposed_instance_loses_the_permission_and_an_exposed_task_its_public_ip() {
    let all = actions(&snapshot("demo"), &["--rule", "SA.NET.1"]);
    // The bastion instance: exactly the IPv4 permission that exposes it is revoked.
    let bastion = action(&all, "SA.NET.1", "eni-0dc98e24f3cf61d00");
    let commands = text(bastion, "commands");
    assert!(
        commands.contains("revoke-security-group-ingress --group-id 'sg-05b53eeb660f1dcab'"),
        "{commands}"
    );
    assert!(
        !commands.contains("::/0"),
        "the exposure is IPv4 only: {commands}"
    );
    // An ECS task of service web: its group may be what its load balancer needs, so the fix is
    // its service's (ECS.2), not a revoke.
    let task = action(&all, "SA.NET.1", "eni-07f8cf45d6c9c66f6");
    assert_eq!(text(task, "commands"), "");
    assert!(text(task, "warnings").contains("--rule ECS.2"));
}

#[test]
fn network_acl_subnet_and_instance_fixes() {
    let all = actions(&snapshot("demo"), &[]);
    // demo-private-data's ACL allows tcp 1024-65535 from the internet (rule 110), 3389 included:
    // a deny for 3389 goes in the free number just before it, never a deletion of rule 110.
    let acl = text(action(&all, "EC2.21", "acl-0f9f0402106efa02c"), "commands");
    let numbers: Vec<&str> = acl
        .split("--rule-number ")
        .skip(1)
        .map(|s| s.split(' ').next().unwrap())
        .collect();
    assert_eq!(numbers, ["109"], "the free number before rule 110: {acl}");
    assert!(
        acl.contains(
            "--port-range 'From=3389,To=3389' --cidr-block '0.0.0.0/0' --rule-action deny"
        )
    );
    assert!(!acl.contains("delete-network-acl-entry"), "{acl}");
    let subnet = action(&all, "EC2.15", "subnet-0ea3109ea34181951");
    assert_eq!(
        text(subnet, "commands"),
        "aws ec2 modify-subnet-attribute --subnet-id 'subnet-0ea3109ea34181951' \
         --no-map-public-ip-on-launch --region 'eu-west-1'"
    );
    let instance = action(&all, "EC2.9", "i-03b8b9003cf7ed478");
    assert_eq!(instance["commands"], Value::Array(Vec::new()));
    assert!(
        text(instance, "warnings").contains("relaunch"),
        "an auto-assigned address"
    );
}

#[test]
fn terraform_names_the_attribute_and_imports_the_real_id() {
    let tf = remediate(&snapshot("demo"), &["--format", "terraform"]);
    for (kind, name, id) in [
        ("aws_ecs_service", "demo_web", "demo/web"),
        (
            "aws_ecs_task_set",
            "ecs_svc_4103471355414892036",
            "ecs-svc/4103471355414892036,arn:aws:ecs:eu-west-1:111122223333:service/demo/checkout,\
             arn:aws:ecs:eu-west-1:111122223333:cluster/demo",
        ),
        (
            "aws_subnet",
            "subnet_0ea3109ea34181951",
            "subnet-0ea3109ea34181951",
        ),
    ] {
        let import = format!("import {{\n  to = {kind}.{name}\n  id = \"{id}\"\n}}\n");
        assert!(tf.contains(&import), "{import} missing:\n{tf}");
        assert!(
            tf.contains(&format!("resource \"{kind}\" \"{name}\" {{")),
            "{kind}.{name}"
        );
    }
    assert!(tf.contains("    assign_public_ip = false\n"));
    assert!(tf.contains("ForceNew on aws_ecs_task_set: this change replaces the task set"));
    assert!(tf.contains("  map_public_ip_on_launch = false\n"));
    assert!(tf.contains("id = \"eipassoc-09b194c25f93acea0\""));
}

#[test]
fn json_actions_follow_the_contract_and_every_format_is_deterministic() {
    let all = actions(&snapshot("demo"), &[]);
    assert!(!all.is_empty());
    for a in &all {
        let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "account",
                "commands",
                "evidence",
                "region",
                "resource_id",
                "rule_id",
                "terraform",
                "verify",
                "warnings"
            ]
        );
        assert!(!a["evidence"].as_array().unwrap().is_empty(), "{a}");
    }
    for format in ["script", "terraform", "json"] {
        let first = remediate(&snapshot("demo"), &["--format", format]);
        assert_eq!(first, remediate(&snapshot("demo"), &["--format", format]));
    }
}

#[test]
fn a_group_with_rule_ids_is_revoked_by_exactly_the_matching_ids() {
    let ids = rule_ids_fixture();
    let all = actions(&snapshot("demo"), &[&ids]);
    let bastion = action(&all, "EC2.13", "sg-05b53eeb660f1dcab");
    assert_eq!(
        text(bastion, "commands"),
        "aws ec2 revoke-security-group-ingress --group-id 'sg-05b53eeb660f1dcab' \
         --security-group-rule-ids 'sgr-0bastion22000001' --region 'eu-west-1'"
    );
    assert!(!text(bastion, "warnings").contains("not in the evidence"));
    let terraform = bastion["terraform"].as_str().unwrap();
    assert!(
        terraform.contains(
            "import {\n  to = aws_vpc_security_group_ingress_rule.sgr_0bastion22000001\n  \
             id = \"sgr-0bastion22000001\"\n}\n"
        ),
        "{terraform}"
    );
    // All traffic (ports -1 in describe-security-group-rules, none in describe-security-groups)
    // and tcp 3389 from ::/0; neither the 10.20.0.0/16 rule nor the outbound one.
    let legacy = action(&all, "EC2.19", "sg-0a11open000000001");
    let revoke = "aws ec2 revoke-security-group-ingress --group-id 'sg-0a11open000000001'";
    assert_eq!(
        text(legacy, "commands"),
        format!(
            "{revoke} --security-group-rule-ids 'sgr-0legacyall000004' --region 'eu-west-1'\n\
             {revoke} --security-group-rule-ids 'sgr-0legacyrdp6000006' --region 'eu-west-1'"
        )
    );
}

#[test]
fn a_group_without_rule_ids_keeps_its_ip_permissions_beside_one_with_them() {
    let ids = rule_ids_fixture();
    let all = actions(&snapshot("demo"), &[&ids, "--rule", "EC2.14"]);
    let bare = action(&all, "EC2.14", "sg-0b22noids00000002");
    assert_eq!(
        text(bare, "commands"),
        revoke_world_tcp("sg-0b22noids00000002", 3389)
    );
    assert!(
        text(bare, "warnings").contains("describe-security-group-rules is not in the evidence")
    );
    let legacy = action(&all, "EC2.14", "sg-0a11open000000001");
    assert!(text(legacy, "commands").contains("--security-group-rule-ids"));
}

#[test]
fn the_script_with_rule_ids_revokes_each_once_and_passes_bash_and_shellcheck() {
    let ids = rule_ids_fixture();
    let script = remediate(&snapshot("demo"), &[&ids]);
    // EC2.13, EC2.18, EC2.19 and SA.NET.1 all revoke the bastion's sgr-0bastion22000001.
    let revoke = "aws ec2 revoke-security-group-ingress --group-id 'sg-05b53eeb660f1dcab' \
                  --security-group-rule-ids 'sgr-0bastion22000001' --region 'eu-west-1'";
    let run = script.lines().filter(|l| *l == revoke).count();
    let named = (script.lines())
        .filter(|l| *l == format!("# Already done above: {revoke}"))
        .count();
    assert_eq!((run, named), (1, 3), "{script}");
    assert!(!script.contains("--group-id 'sg-05b53eeb660f1dcab' --ip-permissions"));
    check_script("rule_ids", &script);
}

/// A fix's lookup may be keyed on a column its table computes (`eni_exposure`'s `subnet_id` is
/// written from the interface, not stored): the rule's fix finds the interfaces of its subnet.
#[test]
fn a_fix_lookup_keyed_on_a_computed_column_finds_its_rows() {
    let dir = common::scratch("computed-lookup");
    std::fs::write(
        dir.join("SA.LOOKUP.1.toml"),
        r#"id = "SA.LOOKUP.1"
title = "Subnets should be named by their interfaces"
severity = "low"
table = "subnets"
requires = ["ec2 describe-subnets"]
resource_type = "AwsEc2Subnet"
resource = "subnet_id"
description = "Every subnet, with the interfaces its fix lists through a lookup on a computed column."
remediation = "List the subnet's interfaces."
query = '''"subnet \(.subnet_id)"'''

[fix]
lookup = [{ table = "eni_exposure", key = "subnet_id", on = "subnet_id" }]
query = '''{warnings: [], commands: [$lookup.eni_exposure[] | "echo \(.network_interface_id)"], verify: []}'''
"#,
    )
    .unwrap();
    let set = common::snapshot("SA.NET.1");
    let rules = dir.display().to_string();
    let found = actions(&set, &["--rules", &rules, "--rule", "SA.LOOKUP.1"]);
    let tables = snapaudit::tables::Tables::build(&mut snapaudit::evidence::scan(&[set])).unwrap();
    let network = tables.network();
    assert!(!found.is_empty());
    for action in &found {
        let subnet = action["resource_id"].as_str().unwrap();
        let mut expected: Vec<String> = (network.enis.iter())
            .filter(|e| e.subnet_id() == Some(subnet))
            .map(|e| format!("echo {}", e.id))
            .collect();
        expected.sort();
        let mut commands: Vec<String> = serde_json::from_value(action["commands"].clone()).unwrap();
        commands.sort();
        assert_eq!(commands, expected, "{subnet}");
    }
    assert!(
        found
            .iter()
            .any(|a| !a["commands"].as_array().unwrap().is_empty())
    );
}
