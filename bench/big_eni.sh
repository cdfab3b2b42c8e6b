#!/usr/bin/env bash
# Memory on one large `describe-network-interfaces` file (issue 12, item 3; issue 15 sets the
# figure: peak RSS at most the evidence size). Generates, under a temporary folder (never
# committed), one valid export of N interfaces (about 1 KB each, printed as the AWS CLI prints,
# optional fields left out) with the subnets, route tables, network ACLs, security groups,
# internet gateways and VPCs they use, so the reachability views have work: a third of the interfaces have a public IPv4 address,
# half the subnets route to an internet gateway, the groups open a mix of ports to the internet.
# Then runs `scan DIR --format json --timings` under /usr/bin/time -v and prints the peak RSS
# (whole run and per phase) beside the evidence size.
# Usage: bench/big_eni.sh N   (SNAPAUDIT_BIN: the binary to run, default a fresh release build;
#                              BENCH_DIR: where to generate, default /tmp/snapaudit-big-eni-N)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:?usage: bench/big_eni.sh N}
out=${BENCH_DIR:-/tmp/snapaudit-big-eni-$count}
if [ ! -s "$out/ec2/describe-network-interfaces.json" ]; then
  mkdir -p "$out/ec2"
  python3 - "$count" "$out/ec2" <<'PY'
import json, random, sys
n, folder = int(sys.argv[1]), sys.argv[2]
rng = random.Random(12)
account, region = "111122223333", "eu-west-1"
vpcs = max(1, min(50, n // 20000))
subnets_per_vpc, groups_per_vpc = 20, 40
def hexid(prefix, *parts):
    return "%s-%017x" % (prefix, hash(parts) & ((1 << 68) - 1))
def write(name, key, items):
    with open("%s/%s.json" % (folder, name), "w") as f:
        json.dump({key: items}, f, indent=4)
vpc_list, subnets, tables, acls, groups, igws = [], [], [], [], [], []
for v in range(vpcs):
    vpc = hexid("vpc", v)
    cidr = "10.%d.0.0/16" % v
    vpc_list.append({"CidrBlock": cidr, "State": "available", "VpcId": vpc, "OwnerId": account,
                     "IsDefault": False})
    igw = hexid("igw", v)
    igws.append({"Attachments": [{"State": "available", "VpcId": vpc}],
                 "InternetGatewayId": igw, "OwnerId": account})
    acl_open, acl_strict = hexid("acl", v, 0), hexid("acl", v, 1)
    vpc_subnets = []
    for s in range(subnets_per_vpc):
        subnet = hexid("subnet", v, s)
        vpc_subnets.append(subnet)
        subnets.append({"AvailabilityZone": region + "abc"[s % 3], "CidrBlock": "10.%d.%d.0/24" % (v, s),
                        "MapPublicIpOnLaunch": s % 2 == 0, "State": "available",
                        "SubnetId": subnet, "VpcId": vpc, "OwnerId": account})
        routes = [{"DestinationCidrBlock": cidr, "GatewayId": "local", "State": "active"}]
        if s % 2 == 0:
            routes.append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "State": "active"})
        tables.append({"Associations": [{"Main": False, "RouteTableId": hexid("rtb", v, s),
                                         "SubnetId": subnet}],
                       "RouteTableId": hexid("rtb", v, s), "Routes": routes, "VpcId": vpc,
                       "OwnerId": account})
    def entries(strict):
        out = []
        for egress in (False, True):
            if strict and not egress:
                out.append({"CidrBlock": "0.0.0.0/0", "Egress": False, "Protocol": "6",
                            "PortRange": {"From": 22, "To": 22}, "RuleAction": "deny", "RuleNumber": 90})
            out.append({"CidrBlock": "0.0.0.0/0", "Egress": egress, "Protocol": "-1",
                        "RuleAction": "allow", "RuleNumber": 100})
            out.append({"CidrBlock": "0.0.0.0/0", "Egress": egress, "Protocol": "-1",
                        "RuleAction": "deny", "RuleNumber": 32767})
        return out
    for acl, strict, half in ((acl_open, False, 0), (acl_strict, True, 1)):
        acls.append({"Associations": [{"NetworkAclId": acl, "SubnetId": s}
                                      for i, s in enumerate(vpc_subnets) if i % 4 // 2 == half],
                     "Entries": entries(strict), "IsDefault": False, "NetworkAclId": acl,
                     "VpcId": vpc, "OwnerId": account})
    for g in range(groups_per_vpc):
        port = [22, 80, 443, 3389, 5432, 8080][g % 6]
        open_to = "0.0.0.0/0" if g % 3 else "10.0.0.0/8"
        groups.append({"Description": "bench", "GroupName": "bench-%d" % g, "OwnerId": account,
                       "GroupId": hexid("sg", v, g), "VpcId": vpc,
                       "IpPermissions": [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                                          "IpRanges": [{"CidrIp": open_to}], "Ipv6Ranges": [],
                                          "PrefixListIds": [], "UserIdGroupPairs": []}],
                       "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                                "Ipv6Ranges": [], "PrefixListIds": [],
                                                "UserIdGroupPairs": []}]})
write("describe-vpcs", "Vpcs", vpc_list)
write("describe-internet-gateways", "InternetGateways", igws)
write("describe-subnets", "Subnets", subnets)
write("describe-route-tables", "RouteTables", tables)
write("describe-network-acls", "NetworkAcls", acls)
write("describe-security-groups", "SecurityGroups", groups)
# The interfaces: one record at a time from a template, as `aws ec2 describe-network-interfaces`
# prints them (4-space indent), so the file is written in one pass without holding it.
record = """        {
            "Attachment": {
                "DeviceIndex": 0,
                "InstanceId": "i-%(id)s",
                "InstanceOwnerId": "%(account)s",
                "Status": "attached"
            },%(association)s
            "AvailabilityZone": "%(zone)s",
            "Groups": [
%(groups)s
            ],
            "InterfaceType": "interface",
            "NetworkInterfaceId": "eni-%(id)s",
            "OwnerId": "%(account)s",
            "PrivateIpAddress": "%(ip)s",
            "PrivateIpAddresses": [
                {
                    "Primary": true,
                    "PrivateIpAddress": "%(ip)s"
                }
            ],
            "Status": "in-use",
            "SubnetId": "%(subnet)s",
            "VpcId": "%(vpc)s"
        }"""
association = """
            "Association": {
                "IpOwnerId": "amazon",
                "PublicIp": "%(public)s"
            },"""
group = """                {
                    "GroupName": "bench-%d",
                    "GroupId": "%s"
                }"""
with open(folder + "/describe-network-interfaces.json", "w") as f:
    f.write('{\n    "NetworkInterfaces": [\n')
    for i in range(n):
        v = i % vpcs
        s = rng.randrange(subnets_per_vpc)
        sub = subnets[v * subnets_per_vpc + s]
        g = sorted({rng.randrange(groups_per_vpc) for _ in range(rng.choice((1, 2)))})
        ip = "10.%d.%d.%d" % (v, s, 4 + i // vpcs % 250)
        fields = {"id": "%017x" % i, "account": account,
                  "zone": sub["AvailabilityZone"], "subnet": sub["SubnetId"], "vpc": sub["VpcId"],
                  "ip": ip,
                  "groups": ",\n".join(group % (k, groups[v * groups_per_vpc + k]["GroupId"])
                                       for k in g),
                  "association": ""}
        if i % 3 == 0:
            public = "54.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
            fields["association"] = association % {"public": public}
        f.write(record % fields)
        f.write(",\n" if i + 1 < n else "\n")
    f.write("    ]\n}\n")
PY
fi
if [ -z "${SNAPAUDIT_BIN:-}" ]; then cargo build --release --quiet; fi
bin=${SNAPAUDIT_BIN:-${CARGO_TARGET_DIR:-target}/release/snapaudit}
echo "evidence: $(du -sb "$out" | cut -f1) bytes in $out ($count interfaces)"
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
/usr/bin/time -v "$bin" scan "$out" --format json --timings > "$out.report.json" 2> "$out.stderr"
code=$?
set -e
echo "exit code: $code"
grep -E '^timings|Maximum resident|Elapsed|User time|System time' "$out.stderr" || tail -5 "$out.stderr"
