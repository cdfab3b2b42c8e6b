# Running ECS tasks whose network interface holds a public IPv4 address, over every document of
# the evidence (concatenated on standard input).
[inputs | objects
 | (.tasks[]? | select(.lastStatus == "RUNNING")
    | {task: .taskArn, eni: first(.attachments[]?.details[]? | select(.name == "networkInterfaceId") | .value)}),
   (.NetworkInterfaces[]? | select(.Association.PublicIp != null) | {public: .NetworkInterfaceId})]
| (map(select(.public) | {key: .public, value: true}) | from_entries) as $public
| [map(select(.task)) | unique_by(.task)[] | select(.eni != null and $public[.eni])] | length
