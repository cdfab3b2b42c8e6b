//! `rules new ID --table T`: a rule file reading T and a fixture folder with a failing and a
//! passing case in the AWS CLI's JSON shape, such that `rules test` passes right away; the
//! author then edits the query, the cases and `expected.json` together. The records of
//! `subnets`, `ecs_services`, `instances` and `network_acl_entries` (whose every network ACL
//! has several entries, so no copied evidence has one row of it) are synthesised here; any
//! other table's fixture is copied evidence (see [`super::copied`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::{copied, load_pack};
use crate::evidence::{Evidence, Kind};
use crate::tables::Tables;

/// Arguments of `rules new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The new rule's id, e.g. `SA.ORG.1` (Security Hub ids such as `EC2.9` are reserved for
    /// Security Hub's controls).
    id: String,
    /// The table its query reads: any that `snapaudit tables` lists.
    #[arg(long)]
    table: String,
    /// The folder of rule files to add it to (created if missing); its fixture goes to
    /// `DIR/fixtures/ID/`.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

/// Which of the two fixture cases a record is.
#[derive(Clone, Copy)]
enum Case {
    Failing,
    Passing,
}

impl Case {
    /// The case's name, used in resource names and ids.
    fn name(self) -> &'static str {
        match self {
            Case::Failing => "failing-case",
            Case::Passing => "passing-case",
        }
    }

    /// A hexadecimal id suffix that tells the cases apart.
    fn hex(self) -> &'static str {
        match self {
            Case::Failing => "0fa11000000000001",
            Case::Passing => "0ca5e000000000002",
        }
    }
}

/// What a rule over one table starts from: the export its rows come from, the check and one
/// record per case.
struct Scaffold {
    table: &'static str,
    kind: Kind,
    resource: &'static str,
    resource_type: &'static str,
    title: &'static str,
    /// The jq condition a failing row meets.
    condition: &'static str,
    /// The jq string the finding's message is made of.
    message: &'static str,
    /// The record of a case, as the AWS CLI prints it, and its resource id.
    record: fn(Case) -> (String, Value),
}

const ACCOUNT: &str = "111122223333";

/// The tables whose evidence `rules new` synthesises: a failing and a passing record each.
const SCAFFOLDS: [Scaffold; 4] = [
    Scaffold {
        table: "subnets",
        kind: Kind::Subnets,
        resource: "subnet_id",
        resource_type: "AwsEc2Subnet",
        title: "Subnets should not assign public IPv4 addresses on launch",
        condition: ".map_public_ip_on_launch",
        message: "Subnet \\(.subnet_id) (\\(.cidr_block)) assigns a public IPv4 address on launch",
        record: subnet,
    },
    Scaffold {
        table: "ecs_services",
        kind: Kind::EcsServices,
        resource: "service_arn",
        resource_type: "AwsEcsService",
        title: "ECS services should not assign public IPv4 addresses to their tasks",
        condition: ".assign_public_ip == \"ENABLED\"",
        message: "Service \\(.service_name) in cluster \\(.cluster) launches its tasks with assignPublicIp ENABLED",
        record: ecs_service,
    },
    Scaffold {
        table: "instances",
        kind: Kind::Reservations,
        resource: "instance_id",
        resource_type: "AwsEc2Instance",
        title: "EC2 instances should not hold a public IPv4 address",
        condition: ".public_ip != null",
        message: "Instance \\(.instance_id) (\\(.name)) holds public IPv4 \\(.public_ip)",
        record: instance,
    },
    Scaffold {
        table: "network_acl_entries",
        kind: Kind::NetworkAcls,
        resource: "network_acl_id",
        resource_type: "AwsEc2NetworkAcl",
        title: "Network ACLs should not allow inbound traffic from the whole internet",
        condition: ".direction == \"inbound\" and .action == \"allow\" and .open_to_world",
        message: "Network ACL \\(.network_acl_id) rule \\(.rule_number) allows \\(.cidr) inbound",
        record: network_acl,
    },
];

fn subnet(case: Case) -> (String, Value) {
    let id = format!("subnet-{}", case.hex());
    let record = json!({
        "SubnetId": id,
        "VpcId": "vpc-0a1b2c3d4e5f60718",
        "OwnerId": ACCOUNT,
        "AvailabilityZone": "us-east-1a",
        "CidrBlock": match case { Case::Failing => "10.0.1.0/24", Case::Passing => "10.0.2.0/24" },
        "MapPublicIpOnLaunch": matches!(case, Case::Failing),
        "AssignIpv6AddressOnCreation": false,
        "State": "available",
        "Tags": [{"Key": "Name", "Value": case.name()}]
    });
    (id, record)
}

fn ecs_service(case: Case) -> (String, Value) {
    let cluster = format!("arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/example");
    let arn = format!(
        "arn:aws:ecs:us-east-1:{ACCOUNT}:service/example/{}",
        case.name()
    );
    let assign = match case {
        Case::Failing => "ENABLED",
        Case::Passing => "DISABLED",
    };
    let record = json!({
        "serviceArn": arn,
        "serviceName": case.name(),
        "clusterArn": cluster,
        "status": "ACTIVE",
        "launchType": "FARGATE",
        "desiredCount": 1,
        "runningCount": 1,
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": [format!("subnet-{}", case.hex())],
            "securityGroups": [format!("sg-{}", case.hex())],
            "assignPublicIp": assign
        }},
        "loadBalancers": [],
        "deployments": []
    });
    (arn, record)
}

fn instance(case: Case) -> (String, Value) {
    let id = format!("i-{}", case.hex());
    let mut item = json!({
        "InstanceId": id,
        "InstanceType": "t3.micro",
        "State": {"Code": 16, "Name": "running"},
        "Placement": {"AvailabilityZone": "us-east-1a"},
        "SubnetId": format!("subnet-{}", case.hex()),
        "VpcId": "vpc-0a1b2c3d4e5f60718",
        "PrivateIpAddress": "10.0.1.10",
        "Tags": [{"Key": "Name", "Value": case.name()}]
    });
    if let Case::Failing = case {
        item["PublicIpAddress"] = json!("203.0.113.10");
    }
    let record = json!({
        "ReservationId": format!("r-{}", case.hex()),
        "OwnerId": ACCOUNT,
        "Groups": [],
        "Instances": [item]
    });
    (id, record)
}

/// A network ACL allowing SSH inbound (from anywhere when failing, from the VPC when passing),
/// with the default entries that deny the rest, which every network ACL has.
fn network_acl(case: Case) -> (String, Value) {
    let id = format!("acl-{}", case.hex());
    let source = match case {
        Case::Failing => "0.0.0.0/0",
        Case::Passing => "10.0.0.0/16",
    };
    let deny_the_rest = |egress: bool| {
        json!({"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": egress,
               "CidrBlock": "0.0.0.0/0"})
    };
    let record = json!({
        "NetworkAclId": id,
        "VpcId": "vpc-0a1b2c3d4e5f60718",
        "OwnerId": ACCOUNT,
        "IsDefault": false,
        "Associations": [{
            "NetworkAclAssociationId": format!("aclassoc-{}", case.hex()),
            "NetworkAclId": id,
            "SubnetId": format!("subnet-{}", case.hex())
        }],
        "Entries": [
            {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": false,
             "CidrBlock": source, "PortRange": {"From": 22, "To": 22}},
            deny_the_rest(false),
            deny_the_rest(true)
        ],
        "Tags": [{"Key": "Name", "Value": case.name()}]
    });
    (id, record)
}

/// `rules new`: writes `DIR/ID.toml` and `DIR/fixtures/ID/`, refusing a bad or taken id.
pub fn new(args: &NewArgs, out: &mut dyn Write) -> Result<()> {
    check_id(&args.id)?;
    let rule_file = args.dir.join(format!("{}.toml", args.id));
    let fixture = args.dir.join("fixtures").join(&args.id);
    let folders = if args.dir.is_dir() {
        vec![args.dir.clone()]
    } else {
        Vec::new()
    };
    if load_pack(&folders)?.iter().any(|r| r.meta.id == args.id) {
        bail!(
            "a rule with the id {} already exists; choose another",
            args.id
        );
    }
    for path in [&rule_file, &fixture] {
        if path.exists() {
            bail!("{} already exists; choose another id", path.display());
        }
    }
    let tables = Tables::build(&mut Evidence::default())?;
    let columns: Vec<String> = (tables.columns(&args.table)?.iter())
        .map(|(column, dtype)| format!("#   {column:<32} {dtype}"))
        .collect();
    let columns = columns.join("\n");
    let created = (fixture.ancestors().take_while(|p| !p.exists()).last()).map(Path::to_path_buf);
    let written = std::fs::create_dir_all(&fixture)
        .with_context(|| format!("cannot create {}", fixture.display()))
        .and_then(
            |()| match SCAFFOLDS.iter().find(|s| s.table == args.table) {
                Some(scaffold) => write_file(&rule_file, &rule_text(scaffold, &args.id, &columns))
                    .and_then(|()| write_fixture(scaffold, &fixture)),
                None => copied::scaffold(&args.id, &args.table, &columns, &rule_file, &fixture),
            },
        );
    if let (Err(_), Some(created)) = (&written, created) {
        // Best effort: the error that stopped the scaffold matters more than one cleaning up.
        let _ = std::fs::remove_dir_all(created);
    }
    written?;
    writeln!(
        out,
        "created {} and {}\nnext: edit the query and the cases, then `snapaudit rules test --rules {}`",
        rule_file.display(),
        fixture.display(),
        args.dir.display()
    )?;
    Ok(())
}

/// Refuses an id that cannot name a rule file, or one in Security Hub's `SERVICE.N` form.
fn check_id(id: &str) -> Result<()> {
    let well_formed = !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !well_formed {
        bail!(
            "`{id}` is not a rule id: use letters, digits and `-` in parts joined by `.`, \
             e.g. SA.ORG.1"
        );
    }
    let parts: Vec<&str> = id.split('.').collect();
    let security_hub_form = parts.len() == 2
        && parts[0]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && parts[1].chars().all(|c| c.is_ascii_digit());
    if security_hub_form {
        bail!(
            "`{id}` has the form of a Security Hub control id, which means Security Hub's control; \
             name your own check with the SA. prefix, e.g. SA.{id}"
        );
    }
    Ok(())
}

/// A rule file's fields, as `rules new` writes them.
pub(super) struct RuleText<'a> {
    pub id: &'a str,
    pub table: &'a str,
    /// The table's columns, one `#   name  type` comment line each.
    pub columns: &'a str,
    pub title: &'a str,
    pub requires: &'a [String],
    pub resource_type: &'a str,
    pub resource: &'a str,
    pub query: &'a str,
}

impl RuleText<'_> {
    /// The rule file: metadata, the table's columns as a comment, and the query.
    pub fn render(&self) -> String {
        let requires: Vec<String> = self.requires.iter().map(|k| format!("\"{k}\"")).collect();
        format!(
            "# A rule over table `{table}`; its columns, which the query sees as `.name`:\n\
             {columns}\n\
             id = \"{id}\"\n\
             title = \"{title}\"\n\
             severity = \"medium\"\n\
             table = \"{table}\"\n\
             requires = [{requires}]\n\
             resource_type = \"{resource_type}\"\n\
             resource = \"{resource}\"\n\
             description = \"\"\"\n\
             What the finding means and why it matters.\n\
             \"\"\"\n\
             remediation = \"\"\"\n\
             How to fix it.\n\
             \"\"\"\n\
             query = '''\n\
             {query}\n\
             '''\n",
            id = self.id,
            table = self.table,
            columns = self.columns,
            title = self.title,
            requires = requires.join(", "),
            resource_type = self.resource_type,
            resource = self.resource,
            query = self.query,
        )
    }
}

/// The rule file of a synthesised scaffold.
fn rule_text(s: &Scaffold, id: &str, columns: &str) -> String {
    let query = format!("select({})\n| \"{}\"", s.condition, s.message);
    RuleText {
        id,
        table: s.table,
        columns,
        title: s.title,
        requires: &[s.kind.command().to_string()],
        resource_type: s.resource_type,
        resource: s.resource,
        query: &query,
    }
    .render()
}

/// The fixture: both cases in one export file, `expected.json` and a README naming the cases.
fn write_fixture(s: &Scaffold, dir: &Path) -> Result<()> {
    let (failing, failing_record) = (s.record)(Case::Failing);
    let (passing, passing_record) = (s.record)(Case::Passing);
    let export = json!({ s.kind.key(): [failing_record, passing_record] });
    let command = s.kind.command();
    let name = command.rsplit(' ').next().unwrap_or(command);
    write_file(
        &dir.join(format!("{name}.json")),
        &serde_json::to_string_pretty(&export)?,
    )?;
    let expected = json!({
        "findings": [{"resource_id": failing, "severity": "medium"}],
        "passing": [passing]
    });
    write_file(
        &dir.join("expected.json"),
        &serde_json::to_string_pretty(&expected)?,
    )?;
    let readme = format!(
        "# Fixture\n\n`{name}.json` is the output of `aws {command}` with two cases:\n\n\
         - `{failing}` (failing-case) must be reported;\n\
         - `{passing}` (passing-case) must pass: examined and not reported.\n\n\
         `expected.json` lists both; `snapaudit rules test` checks them.\n"
    );
    write_file(&dir.join("README.md"), &readme)
}

/// Writes `text` to `path`, naming the path on failure.
pub(super) fn write_file(path: &Path, text: &str) -> Result<()> {
    let text = if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    };
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_hub_ids_and_malformed_ids_are_refused() {
        assert!(check_id("SA.ORG.1").is_ok());
        assert!(check_id("ORG-net.2.b").is_ok());
        let reserved = check_id("EC2.99").unwrap_err().to_string();
        assert!(reserved.contains("SA.EC2.99"), "{reserved}");
        for bad in ["", "SA..1", "SA/1", "a b", ".x"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
