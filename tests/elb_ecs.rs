//! ECS services and task sets joined to their load balancer targets (`tests/fixtures/elb_ecs`):
//! a Fargate service behind an `ip` target group, a blue/green service whose two task sets sit
//! in two target groups, a bridge-mode service with `instance` targets, and an `ip` target no
//! ECS resource claims.

mod common;

use serde_json::Value;

const ECS: &str = "arn:aws:ecs:eu-west-1:111122223333";
const TG: &str = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup";

/// The rows of one table of the fixture.
fn rows(table: &str) -> Vec<Value> {
    let fixture = common::root().join("tests/fixtures/elb_ecs");
    let run = common::snapaudit(&["query", &fixture.to_string_lossy(), "--table", table, "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The target `id`'s ECS columns: task, task set, service, container and link.
fn owner_of(targets: &[Value], id: &str) -> [Value; 6] {
    let t = targets
        .iter()
        .find(|t| t["target_id"] == id)
        .unwrap_or_else(|| panic!("no target {id}"));
    [
        "task_arn",
        "task_set_arn",
        "service_name",
        "container_name",
        "container_port",
        "ecs_link",
    ]
    .map(|c| t[c].clone())
}

#[test]
fn services_and_task_sets_list_their_target_groups() {
    let services = rows("ecs_services");
    let web = services
        .iter()
        .find(|s| s["service_name"] == "web")
        .unwrap();
    assert_eq!(
        web["load_balancers"],
        serde_json::json!([{"targetGroupArn": format!("{TG}/web-ip/1111111111111111"),
            "loadBalancerName": null, "containerName": "web", "containerPort": 8080}])
    );
    let sets = rows("ecs_task_sets");
    let groups: Vec<&Value> = sets.iter().map(|s| &s["target_group_arns"]).collect();
    assert_eq!(
        groups,
        [
            &serde_json::json!([format!("{TG}/checkout-blue/2222222222222222")]),
            &serde_json::json!([format!("{TG}/checkout-green/3333333333333333")]),
        ]
    );
}

#[test]
fn ip_targets_resolve_to_their_task_and_its_task_set() {
    let targets = rows("lb_targets");
    let blue_set = format!("{ECS}:task-set/shop/checkout/ecs-svc/2000000000000000001");
    let green_set = format!("{ECS}:task-set/shop/checkout/ecs-svc/2000000000000000002");
    assert_eq!(
        owner_of(&targets, "10.0.1.10"),
        [
            format!("{ECS}:task/shop/0a0a0a0a0a0a0a0a").into(),
            Value::Null,
            "web".into(),
            "web".into(),
            8080.into(),
            "task".into()
        ]
    );
    let blue = owner_of(&targets, "10.0.1.20");
    let green = owner_of(&targets, "10.0.1.30");
    let task = |id: &str| Value::from(format!("{ECS}:task/shop/{id}"));
    let checkout = Value::from("checkout");
    assert_eq!(
        blue[..3],
        [task("0b0b0b0b0b0b0b0b"), blue_set.into(), checkout.clone()]
    );
    assert_eq!(
        green[..3],
        [task("0c0c0c0c0c0c0c0c"), green_set.into(), checkout]
    );
}

#[test]
fn bridge_mode_instance_targets_link_to_the_service_not_a_task() {
    let targets = rows("lb_targets");
    assert_eq!(
        owner_of(&targets, "i-0host"),
        [
            Value::Null,
            Value::Null,
            "legacy".into(),
            "legacy".into(),
            80.into(),
            "service".into()
        ]
    );
    let host = targets
        .iter()
        .find(|t| t["target_id"] == "i-0host")
        .unwrap();
    let roles: Vec<&Value> = host["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["role"])
        .collect();
    assert!(roles.contains(&&Value::from("ecs_owner")), "{roles:?}");
    assert_eq!(
        host["evidence"][2]["pointer"],
        "/services/2/loadBalancers/0"
    );
}

#[test]
fn a_target_no_ecs_resource_claims_has_no_owner() {
    let targets = rows("lb_targets");
    assert_eq!(
        owner_of(&targets, "10.0.1.50"),
        [(); 6].map(|_| Value::Null)
    );
}
