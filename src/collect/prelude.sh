export AWS_PAGER=""
manifest_tsv="$out/manifest.tsv"
manifest_json="$out/manifest.json"
region=${regions[0]}
account=unknown-account
dir="$out"
found=()

# Runs `aws ARGS...` in the current region. Its output goes to FILE (a path under the region's
# folder, appended to, written only when the call succeeds) or, for FILE `-`, to standard
# output. Every call is recorded in the manifest with its exit code, and a failed call with its
# standard error. Returns the call's exit status.
aws_call() {
  local file=$1 body err code
  shift
  body=$(mktemp) err=$(mktemp)
  aws "${profile[@]}" --region "$region" --no-cli-pager "$@" >"$body" 2>"$err"
  code=$?
  if [ "$file" = - ]; then
    cat "$body"
  elif [ "$code" -eq 0 ]; then
    mkdir -p "$(dirname "$dir/$file")"
    cat "$body" >>"$dir/$file"
  fi
  record "$code" "$file" "$err" "$@"
  rm -f "$body" "$err"
  return "$code"
}

# One manifest line: status, exit code, account, region, file, command, standard error.
record() {
  local code=$1 file=$2 err=$3 status=ok message=""
  shift 3
  if [ "$code" -ne 0 ]; then
    status=failed
    message=$(tr '\t\r\n' '   ' <"$err" | tr -d '\000-\037' | sed 's/^ *//; s/ *$//')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$status" "$code" "$account" "$region" "$file" \
    "aws $*" "$message" >>"$manifest_tsv"
}

# `aws ARGS... --output json` into FILE.
export_json() {
  local file=$1
  shift
  aws_call "$file" --output json "$@"
}

# Sets `found` to the values QUERY selects from `aws ARGS...`; fails when the call fails.
ids() {
  local query=$1 text word words=()
  shift
  found=()
  text=$(aws_call - --output text --query "$query" "$@") || return 1
  # Split on blanks, tabs and newlines (one line per page), never expanding a glob.
  read -r -d '' -a words <<<"$text" || true
  for word in "${words[@]}"; do
    if [ "$word" != None ]; then found+=("$word"); fi
  done
}

# Writes `{"KEY": []}` to FILE when no call wrote it: the enumeration that would have called it
# succeeded and found nothing to describe, so an empty export is the truth, not a guess.
none_found() {
  local file=$1 key=$2
  if [ ! -e "$dir/$file" ]; then
    mkdir -p "$(dirname "$dir/$file")"
    printf '{"%s": []}\n' "$key" >"$dir/$file"
  fi
}

# A JMESPath query that writes OWNER_KEY: ARN beside the KEY list of the output, the shape
# snapaudit reads for target health and attributes (AWS prints them without their owner).
owned() {
  printf '{%s: \x60"%s"\x60, %s: %s}' "$1" "$2" "$3" "$3"
}

# Every ECS cluster: its services, 10 per describe-services call, and their task sets (AWS lists
# the task sets of an EXTERNAL-controller service inside describe-services; a second call per
# batch writes them as their own taskSets document), then its RUNNING and STOPPED tasks, 100
# per describe-tasks call.
ecs_clusters() {
  local cluster status i clusters services tasks
  ids 'clusterArns[]' ecs list-clusters || return
  clusters=("${found[@]}")
  for cluster in "${clusters[@]}"; do
    if ids 'serviceArns[]' ecs list-services --cluster "$cluster"; then
      services=("${found[@]}")
      for ((i = 0; i < ${#services[@]}; i += 10)); do
        export_json ecs/describe-services.json ecs describe-services --cluster "$cluster" \
          --include TAGS --services "${services[@]:i:10}"
        export_json ecs/describe-task-sets.json ecs describe-services --cluster "$cluster" \
          --services "${services[@]:i:10}" --query '{taskSets: services[].taskSets[]}'
      done
    fi
    for status in RUNNING STOPPED; do
      ids 'taskArns[]' ecs list-tasks --cluster "$cluster" --desired-status "$status" || continue
      tasks=("${found[@]}")
      for ((i = 0; i < ${#tasks[@]}; i += 100)); do
        export_json ecs/describe-tasks.json ecs describe-tasks --cluster "$cluster" \
          --include TAGS --tasks "${tasks[@]:i:100}"
      done
    done
  done
  if [ "${#clusters[@]}" -eq 0 ]; then
    none_found ecs/describe-services.json services
    none_found ecs/describe-task-sets.json taskSets
    none_found ecs/describe-tasks.json tasks
  fi
}

# The entries of every managed prefix list; the list's id is in the file name.
prefix_list_entries() {
  local list lists
  ids 'PrefixLists[].PrefixListId' ec2 describe-managed-prefix-lists || return
  lists=("${found[@]}")
  for list in "${lists[@]}"; do
    export_json "ec2/$list.entries.json" ec2 get-managed-prefix-list-entries --prefix-list-id "$list"
  done
  if [ "${#lists[@]}" -eq 0 ]; then none_found ec2/get-managed-prefix-list-entries.json Entries; fi
}

# The listeners of every load balancer and the rules of every listener.
listeners_and_rules() {
  local lb listener balancers listeners
  ids 'LoadBalancers[].LoadBalancerArn' elbv2 describe-load-balancers || return
  balancers=("${found[@]}")
  for lb in "${balancers[@]}"; do
    export_json elbv2/describe-listeners.json elbv2 describe-listeners --load-balancer-arn "$lb"
    ids 'Listeners[].ListenerArn' elbv2 describe-listeners --load-balancer-arn "$lb" || continue
    listeners=("${found[@]}")
    for listener in "${listeners[@]}"; do
      export_json elbv2/describe-rules.json elbv2 describe-rules --listener-arn "$listener"
    done
  done
  if [ "${#balancers[@]}" -eq 0 ]; then
    none_found elbv2/describe-listeners.json Listeners
    none_found elbv2/describe-rules.json Rules
  fi
}

# The attributes of every load balancer, each document wrapped with its LoadBalancerArn.
load_balancer_attributes() {
  local lb balancers
  ids 'LoadBalancers[].LoadBalancerArn' elbv2 describe-load-balancers || return
  balancers=("${found[@]}")
  for lb in "${balancers[@]}"; do
    export_json elbv2/describe-load-balancer-attributes.json elbv2 describe-load-balancer-attributes \
      --load-balancer-arn "$lb" --query "$(owned LoadBalancerArn "$lb" Attributes)"
  done
  if [ "${#balancers[@]}" -eq 0 ]; then
    none_found elbv2/describe-load-balancer-attributes.json Attributes
  fi
}

# Per target group: its targets' health and its attributes (whichever KINDS names: `health`,
# `attributes`), each document wrapped with its TargetGroupArn.
target_groups() {
  local tg groups kind
  ids 'TargetGroups[].TargetGroupArn' elbv2 describe-target-groups || return
  groups=("${found[@]}")
  for tg in "${groups[@]}"; do
    for kind in "$@"; do
      case $kind in
      health)
        export_json elbv2/describe-target-health.json elbv2 describe-target-health \
          --target-group-arn "$tg" --query "$(owned TargetGroupArn "$tg" TargetHealthDescriptions)"
        ;;
      attributes)
        export_json elbv2/describe-target-group-attributes.json elbv2 \
          describe-target-group-attributes --target-group-arn "$tg" \
          --query "$(owned TargetGroupArn "$tg" Attributes)"
        ;;
      esac
    done
  done
  if [ "${#groups[@]}" -eq 0 ]; then
    none_found elbv2/describe-target-health.json TargetHealthDescriptions
    none_found elbv2/describe-target-group-attributes.json Attributes
  fi
}

# Flow log records of the last $flow_hours hours, for every flow log of the region: the events
# of each CloudWatch Logs group into logs/filter-log-events.json, and what each S3 destination
# received on each day of the window, copied from S3 into flow/BUCKET/KEY (`s3 cp` only ever
# copies from S3 to this folder). Other destinations (Kinesis Data Firehose) are not fetched.
flow_log_records() {
  local now start day i target prefix pairs
  local -A fetched=()
  printf -v now '%(%s)T' -1
  start=$((now - flow_hours * 3600))
  # Without the flow log export (its failure is in the manifest) there is nothing to fetch.
  [ -e "$dir/ec2/describe-flow-logs.json" ] || return
  ids "FlowLogs[].[LogDestinationType, LogGroupName || LogDestination || 'none']" \
    ec2 describe-flow-logs || return
  pairs=("${found[@]}")
  for ((i = 0; i + 1 < ${#pairs[@]}; i += 2)); do
    target=${pairs[i + 1]}
    if [ -n "${fetched[$target]:-}" ]; then continue; fi
    fetched[$target]=1
    case ${pairs[i]} in
    cloud-watch-logs)
      export_json logs/filter-log-events.json logs filter-log-events --log-group-name "$target" \
        --start-time "$((start * 1000))"
      ;;
    s3)
      target=${target#arn:aws:s3:::}
      for ((day = start - start % 86400; day <= now; day += 86400)); do
        prefix="${target%/}/AWSLogs/$account/vpcflowlogs/$region/$(TZ=UTC printf '%(%Y/%m/%d)T' "$day")/"
        aws_call - --output text s3 cp "s3://$prefix" "$dir/flow/$prefix" --recursive \
          --only-show-errors >/dev/null
      done
      ;;
    esac
  done
}

# TEXT as a JSON string (manifest fields hold no control characters: `record` removed them).
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# manifest.json: the manifest's lines as `{"calls": [...]}`, failed calls counted.
write_manifest_json() {
  local status code acct reg file command message first=1
  {
    printf '{"snapaudit_collect": %s, "calls": [' "$(json_string "$version")"
    while IFS=$'\t' read -r status code acct reg file command message; do
      if [ "$first" -eq 1 ]; then first=0; else printf ','; fi
      printf '\n  {"status": %s, "exit_code": %s, "account": %s, "region": %s, "file": %s, "command": %s, "stderr": %s}' \
        "$(json_string "$status")" "$code" "$(json_string "$acct")" "$(json_string "$reg")" \
        "$(json_string "$file")" "$(json_string "$command")" "$(json_string "$message")"
    done < <(tail -n +2 "$manifest_tsv")
    printf '\n]}\n'
  } >"$manifest_json"
}

mkdir -p "$out"
printf 'status\texit_code\taccount\tregion\tfile\tcommand\tstderr\n' >"$manifest_tsv"
account=$(aws_call - --output text --query Account sts get-caller-identity) || account=unknown-account
