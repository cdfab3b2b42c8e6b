//! The examples `--help` shows after each command's options.

/// `snapaudit --help`.
pub const MAIN: &str = "\
Examples:
  snapaudit scan ./evidence                      # findings as a table that fits the terminal
  snapaudit scan ./evidence --format html > report.html
  snapaudit evidence ./evidence                  # what was examined, what is missing
  snapaudit rules test --rules ./my-rules        # your rules on their fixtures
  NO_COLOR=1 snapaudit scan ./evidence --quiet   # only the summary line and errors";

/// `snapaudit scan --help`.
pub const SCAN: &str = "\
Examples:
  snapaudit scan ./evidence
  snapaudit scan ./evidence --format json > report.json   # full ids and evidence
  snapaudit scan ./evidence --fail-on high --quiet         # for CI: exit 1 on high or critical
  snapaudit scan ./evidence --rule EC2.18 --param 'EC2.18.authorized_tcp_ports=[80,443]'
  snapaudit scan ./evidence --waivers waivers.toml --as-of 2026-01-31
  snapaudit scan ./evidence --color always | less -R";

/// `snapaudit tables --help`.
pub const TABLES: &str = "\
Examples:
  snapaudit tables ./evidence";

/// `snapaudit query --help`.
pub const QUERY: &str = "\
Examples:
  snapaudit query ./evidence --table subnets 'select(.map_public_ip_on_launch) | .subnet_id'
  snapaudit query ./evidence --table eni_exposure '.'";

/// `snapaudit reach --help`.
pub const REACH: &str = "\
Examples:
  snapaudit reach ./evidence --to i-03b8b9003cf7ed478 --port 22
  snapaudit reach ./evidence --to eni-0dc98e24f3cf61d00 --from ::/0 --format json
  snapaudit reach ./evidence --to my-load-balancer";

/// `snapaudit rules --help`.
pub const RULES: &str = "\
Examples:
  snapaudit rules                                   # one line per rule
  snapaudit rules --format markdown > RULES.md
  snapaudit rules show EC2.15
  snapaudit rules new SA.ORG.1 --table subnets --dir ./my-rules
  snapaudit rules test --rules ./my-rules";

/// `snapaudit diff --help`.
pub const DIFF: &str = "\
Examples:
  snapaudit diff ./evidence-january ./evidence-february
  snapaudit diff before.json ./evidence --format markdown";

/// `snapaudit remediate --help`.
pub const REMEDIATE: &str = "\
Examples:
  snapaudit remediate ./evidence > fix.sh
  snapaudit remediate ./evidence --rule ECS.2 --format terraform";

/// `snapaudit evidence --help`.
pub const EVIDENCE: &str = "\
Examples:
  snapaudit evidence ./evidence
  snapaudit evidence ./evidence --format json";

/// `snapaudit shards --help`.
pub const SHARDS: &str = "\
Examples:
  cd ./evidence && snapaudit shards . --format json > shards.json
  snapaudit shards . --by vpc-owner              # accounts in a shared VPC scanned with its owner";

/// `snapaudit merge --help`.
pub const MERGE: &str = "\
Examples:
  snapaudit merge shard-*.json > report.json     # equals one scan over all the shards' files
  snapaudit merge shard-*.json --format html > report.html";
