# Definitions every rule query can use (the rule pack's own library; rules cannot import files).
# They read a security-group rule or network-ACL entry row: protocol, from_port, to_port.

# First and last port of the row's range; no range means every port.
def port_from: .from_port // 0;
def port_to: .to_port // 65535;

# Whether the row admits TCP port $p: a TCP range that includes it, or all traffic.
def admits_tcp($p): .protocol == "all" or (.protocol == "tcp" and port_from <= $p and $p <= port_to);

# The ports of $ports the row covers: all of them for all traffic, those in a TCP or UDP range.
def covered($ports):
  if .protocol == "all" then $ports
  elif .protocol == "tcp" or .protocol == "udp" then [$ports[] as $p | select(port_from <= $p and $p <= port_to) | $p]
  else [] end;

# "all traffic", "tcp 22", "tcp 80-443".
def port_label:
  if .protocol == "all" then "all traffic"
  elif .from_port == .to_port then "\(.protocol) \(.from_port)"
  else "\(.protocol) \(.from_port)-\(.to_port)" end;

# ---- Remediation: definitions the rules' [fix] queries share ----

# The value as one single-quoted bash word ('\'' for every quote inside): safe to paste into a
# command whatever the evidence holds.
def shq: "'" + (tostring | gsub("'"; "'\\''")) + "'";

# The value as an HCL string or list literal (JSON syntax, with `${` and `%{` escaped).
def hcl: tojson | gsub("\\$\\{"; "$${") | gsub("%\\{"; "%%{");

# A Terraform resource name made from an id: letters, digits and underscores, not a leading digit.
def tf_name: gsub("[^A-Za-z0-9_]"; "_") | if test("^[0-9]") then "r_" + . else . end;

# A Terraform import block for the resource $type.($name | tf_name) whose real id is $id.
def tf_import_as($type; $name; $id): "import {\n  to = \($type).\($name | tf_name)\n  id = \($id | hcl)\n}\n";

# The same, for a resource named after its id.
def tf_import($type; $id): tf_import_as($type; $id; $id);

# A heredoc writing $text to the file $file (quoted delimiter: nothing in it is expanded).
def heredoc($file; $text): "cat > \($file | shq) <<'JSON'\n\($text)\nJSON";

# An ECS awsvpc network configuration with the public IP off, as readable JSON.
def awsvpc_json($subnets; $groups):
  "{\n  \"awsvpcConfiguration\": {\n    \"subnets\": [\($subnets | map(tojson) | join(", "))],\n"
  + "    \"securityGroups\": [\($groups | map(tojson) | join(", "))],\n"
  + "    \"assignPublicIp\": \"DISABLED\"\n  }\n}";

# The same block for Terraform's network_configuration.
def tf_network($subnets; $groups):
  "  network_configuration {\n    subnets          = \($subnets | hcl)\n"
  + "    security_groups  = \($groups | hcl)\n    assign_public_ip = false\n  }\n";

# The preflight of an ecs_remediation row ($ctx; null when the service is not in it): what
# breaks once the tasks lose their public IP, and what the evidence could not check.
def ecs_preflight($ctx):
  if $ctx == null then ["the evidence lacks this workload's awsvpc configuration: the preflight could not run"]
  else
    ($ctx.subnets_without_nat | join(", ")) as $bare
    | ([$ctx.ecr_api_endpoint, $ctx.ecr_dkr_endpoint, $ctx.s3_endpoint] | all) as $endpoints
    | ($ctx.missing_exports | map(select(. == "ec2 describe-nat-gateways" or . == "ec2 describe-vpc-endpoints" or . == "ec2 describe-route-tables" or . == "ec2 describe-subnets"))) as $missing
    | [ if $bare != "" and ($endpoints | not) then
          "image pulls will fail: subnets \($bare) have no default route to an available NAT gateway and VPC \($ctx.vpc_id // "unknown") "
          + (if $ctx.ecr_api_endpoint == null then "may lack (the evidence does not say)" else "lacks" end)
          + " the ecr.api and ecr.dkr interface endpoints and the s3 gateway endpoint, so tasks without a public IP cannot reach ECR"
          + (if ($ctx.nat_subnets | length) > 0
             then "; move them to the NAT-routed private subnets of the same VPC: \($ctx.nat_subnets | join(", ")) (replace the subnets below), or add the endpoints first"
             else "; no subnet of the VPC routes through an available NAT gateway: add a NAT gateway or the endpoints first" end)
        else empty end,
        if $ctx.has_load_balancer | not then
          "no load balancer fronts this workload: once its tasks lose their public IP it is no longer reachable from the internet; intended?"
        else empty end,
        if $ctx.deployment_controller == "CODE_DEPLOY" then
          "the service uses the CODE_DEPLOY deployment controller: update-service cannot change its network configuration; the change goes through a new CodeDeploy deployment"
        else empty end,
        ($missing[] | "the evidence lacks `aws \(.)`: the preflight could not check it; export it and run remediate again")
      ]
  end;

# Read-only commands proving that no running task of service $s in cluster $c holds a public IP.
def ecs_running_enis_check($c; $s; $r):
  "aws ecs list-tasks --cluster \($c | shq) --service-name \($s | shq) --desired-status RUNNING --region \($r | shq) --query 'taskArns' --output text \\\n"
  + "  | xargs -r -n 100 aws ecs describe-tasks --cluster \($c | shq) --region \($r | shq) --query \"tasks[].attachments[].details[?name=='networkInterfaceId'].value[]\" --output text --tasks \\\n"
  + "  | xargs -r aws ec2 describe-network-interfaces --region \($r | shq) --query 'NetworkInterfaces[?Association.PublicIp].[NetworkInterfaceId,Association.PublicIp]' --output text --network-interface-ids   # expect no output";

# The ingress permission of a security_groups `inbound` entry, as --ip-permissions JSON.
def ip_permission:
  {IpProtocol: (if .protocol == "all" then "-1" else .protocol end)}
  + (if .from_port != null then {FromPort: .from_port, ToPort: .to_port} else {} end)
  + (if .source_type == "cidr_ipv6" then {Ipv6Ranges: [{CidrIpv6: .source}]} else {IpRanges: [{CidrIp: .source}]} end);

# Whether the row's port range holds a port not in $ok (counted, never enumerated: a range may
# span 65536 ports or, in hostile evidence, far more).
def beyond_ports($ok):
  port_from as $from | port_to as $to
  | ([$ok[] | select($from <= . and . <= $to)] | unique | length) < ($to - $from + 1);

# Whether the row admits more than the TCP ports $tcp and the UDP ports $udp (any other
# protocol counts): EC2.18's test.
def unauthorized($tcp; $udp):
  if .protocol == "tcp" then beyond_ports($tcp)
  elif .protocol == "udp" then beyond_ports($udp)
  else true end;

# describe-security-groups filters matching a group that still holds the `inbound` entry.
def ip_permission_filters:
  [ "Name=ip-permission.protocol,Values=\(if .protocol == "all" then "-1" else .protocol end)",
    (if .from_port != null then "Name=ip-permission.from-port,Values=\(.from_port)", "Name=ip-permission.to-port,Values=\(.to_port)" else empty end),
    (if .source_type == "cidr_ipv6" then "Name=ip-permission.ipv6-cidr,Values=\(.source)" else "Name=ip-permission.cidr,Values=\(.source)" end) ];

# The sgr- id of a security_groups `inbound` entry of group $g among $ids (security_group_rule_ids
# rows; null or [] when the evidence has none): the inbound rule with the same protocol, ports and
# source (for all traffic, whatever ports it prints: -1 here, none in describe-security-groups);
# null when there is none.
def ingress_rule_id($g; $ids):
  . as $perm
  | [($ids // [])[]
     | select(.group_id == $g and .direction == "inbound" and .protocol == $perm.protocol and .source == $perm.source
              and ($perm.protocol == "all" or (.from_port == $perm.from_port and .to_port == $perm.to_port)))
     | .rule_id][0];

# An aws_vpc_security_group_ingress_rule resource named $name for an `inbound` entry of group $g.
def tf_ingress_rule($g; $name):
  "resource \"aws_vpc_security_group_ingress_rule\" \"\($name | tf_name)\" {\n"
  + "  security_group_id = \($g | hcl)\n"
  + "  ip_protocol       = \(if .protocol == "all" then "-1" else .protocol end | hcl)\n"
  + (if .from_port != null then "  from_port         = \(.from_port)\n  to_port           = \(.to_port)\n" else "" end)
  + "  \(if .source_type == "cidr_ipv6" then "cidr_ipv6" else "cidr_ipv4" end)         = \(.source | hcl)\n}\n";

# Every line of the text commented out with "# ".
def commented: split("\n") | map(select(. != "") | "# " + .) | join("\n") + "\n";

# The fix of ingress entries $perms (security_groups `inbound` entries) of group $g in region $r:
# revoke exactly those permissions, by their sgr- ids when $ids (security_group_rule_ids rows)
# holds one for every entry, else by their --ip-permissions.
def revoke_ingress($g; $r; $perms; $ids):
  [$perms[] | ingress_rule_id($g; $ids)] as $rule_ids
  | ($perms | map("\(port_label) from \(.source)") | unique | join(", ")) as $what
  | if all($rule_ids[]; . != null) then
      {
        commands: [$rule_ids[] | "aws ec2 revoke-security-group-ingress --group-id \($g | shq) --security-group-rule-ids \(shq) --region \($r | shq)"],
        warnings: ["check first that nothing legitimate relies on \($what) (\($rule_ids | join(", ")))"],
        terraform: ([$perms, $rule_ids] | transpose | map(. as [$perm, $id]
          | "# apply to bring the rule under Terraform, then delete both blocks: the next apply revokes it\n"
            + tf_import("aws_vpc_security_group_ingress_rule"; $id) + ($perm | tf_ingress_rule($g; $id))) | join(""))
      }
    else
      {
        commands: [$perms[] | "aws ec2 revoke-security-group-ingress --group-id \($g | shq) --ip-permissions \([ip_permission] | tojson | shq) --region \($r | shq)"],
        warnings: ["check first that nothing legitimate relies on \($what); describe-security-group-rules is not in the evidence, so the rules are named by their permission, not their sgr- id"],
        terraform: (tf_import("aws_security_group"; $g)
          + ($perms | map(
              "# remove this rule from the configuration (a standalone aws_vpc_security_group_ingress_rule, or the matching ingress block of aws_security_group.\($g | tf_name)); its sgr- id is not in the evidence:\n"
              + "#   aws ec2 describe-security-group-rules --filters Name=group-id,Values=\($g) --region \($r)\n"
              + (tf_ingress_rule($g; "\($g)_\(port_label)_\(.source)") | commented)) | join("")))
      }
    end
  + {verify: [$perms[] | "aws ec2 describe-security-groups --group-ids \($g | shq) --region \($r | shq) --filters \(ip_permission_filters | map(shq) | join(" ")) --query 'SecurityGroups[].GroupId' --output text   # expect no output"]};

# A result the evidence cannot settle (status `indeterminate`, never a failure); the message
# names the missing export.
def indeterminate($message): {message: $message, status: "indeterminate"};

# For a load balancer row: whether attribute `$name` is "false", or, when the exported attributes
# do not hold it, an indeterminate result naming the export.
def attribute_false($name; $message):
  if (.attributes // {}) | has($name) then select(.attributes[$name] == "false") | $message
  else indeterminate("Load balancer \(.name) (\(.type)): attribute \($name) is not in the evidence; export elbv2 describe-load-balancer-attributes for it")
  end;
