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
