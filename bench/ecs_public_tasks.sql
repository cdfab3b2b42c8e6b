-- Running ECS tasks whose network interface holds a public IPv4 address (the manifest's SA.ECS.1
-- count), over every document of every evidence file: the list is the variable `files`.
WITH docs AS (
  SELECT json FROM read_json_objects(getvariable('files'), format = 'unstructured',
                                     maximum_object_size = 1000000000)
), tasks AS (
  SELECT unnest(json_extract(json, '$.tasks[*]')) AS task FROM docs
  WHERE json_exists(json, '$.tasks')
), running AS (
  SELECT DISTINCT task ->> 'taskArn' AS arn,
         unnest(json_extract_string(task, '$.attachments[*].details[*]')) AS detail
  FROM tasks WHERE task ->> 'lastStatus' = 'RUNNING'
), task_enis AS (
  SELECT DISTINCT arn, detail::JSON ->> 'value' AS eni FROM running
  WHERE detail::JSON ->> 'name' = 'networkInterfaceId'
), public_enis AS (
  SELECT DISTINCT eni ->> 'NetworkInterfaceId' AS id
  FROM (SELECT unnest(json_extract(json, '$.NetworkInterfaces[*]')) AS eni FROM docs
        WHERE json_exists(json, '$.NetworkInterfaces'))
  WHERE eni -> 'Association' ->> 'PublicIp' IS NOT NULL
)
SELECT count(DISTINCT arn) FROM task_enis JOIN public_enis ON task_enis.eni = public_enis.id;
