-- wrk script for tests/bench/logs.sh: POST /logs with log-shaped entries.
--   wrk ... -s logs.lua URL -- TOKEN ENTRIES_PER_REQUEST PREFIX [BACKOFF_MS]
-- Every entry gets a unique request_id PREFIX-<thread>-<request>-<n>. After a 503 the next
-- request waits BACKOFF_MS (default 0), as a balancer honouring Retry-After would; without
-- it wrk would spend the machine on requests the full queue must refuse. At the end it prints
--   BENCH accepted=<entries answered 202> refused=<entries answered 503> other=<responses>
-- so the caller can check that PostgreSQL ends up with exactly `accepted` rows.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = args[1] or ""
  per = tonumber(args[2]) or 1
  prefix = args[3] or "bench"
  backoff_ms = tonumber(args[4]) or 0
  accepted, refused, other, counter, backoffs = 0, 0, 0, 0, 0
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  -- Everything after the id is the same in every entry: a typical balancer record.
  tail = '","master_id":1,"key_id":2,"namespace":"default","model":"gpt-4o",' ..
         '"upstream_model":"gpt-4o-2024-08-06","provider_id":3,"provider_type":"openai",' ..
         '"route_group":"default","status_code":200,"latency_ms":1234,"ttft_ms":210,' ..
         '"prompt_tokens":812,"completion_tokens":256,"total_tokens":1068,"cost":0.01234,' ..
         '"client_ip":"10.1.2.3","stream":true}'
  parts = {}
end

function request()
  counter = counter + 1
  local id = prefix .. "-" .. tid .. "-" .. counter .. "-"
  local body
  if per == 1 then
    body = '{"request_id":"' .. id .. '0' .. tail
  else
    for j = 1, per do
      parts[4 * j - 3] = (j == 1) and '[{"request_id":"' or ',{"request_id":"'
      parts[4 * j - 2] = id
      parts[4 * j - 1] = j
      parts[4 * j] = tail
    end
    body = table.concat(parts, "", 1, 4 * per) .. "]"
  end
  return wrk.format("POST", "/logs", headers, body)
end

function response(status, hdrs, body)
  if status == 202 then
    accepted = accepted + per
  elseif status == 503 then
    refused = refused + per
    backoffs = backoffs + 1
  else
    other = other + 1
  end
end

function delay()
  if backoffs > 0 then
    backoffs = backoffs - 1
    return backoff_ms
  end
  return 0
end

function done(summary, latency, requests)
  local a, r, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    r = r + t:get("refused")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH accepted=%d refused=%d other=%d requests=%d duration_us=%d socket_errors=%d p99_us=%d\n",
    a, r, o, summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout, latency:percentile(99)))
end
