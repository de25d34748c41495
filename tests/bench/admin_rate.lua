-- wrk (4.x, not wrk2) at a fixed request rate. Two latencies per request:
--  - service: from the moment the request is written (what the server costs);
--  - schedule: from the moment it was DUE (a slow response delays the later
--    sends and that wait is counted: no coordinated omission). It also counts
--    wrk's millisecond timer slop, so it reads a little high on an idle server.
--
-- Run with as many connections as threads (-tN -cN): one connection per thread,
-- so this thread's state is that connection's state.
-- Environment: BENCH_RATE (total req/s), BENCH_THREADS (= -t), BENCH_TOKEN
-- (bearer), BENCH_PATHS (file: one request path per line, used round-robin).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } ez_timespec;
  int clock_gettime(int clk, ez_timespec* ts);
]]
local ts = ffi.new("ez_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local rate = tonumber(os.getenv("BENCH_RATE") or "1000")
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  interval_us = 1000000 * nthreads / rate
  token = os.getenv("BENCH_TOKEN") or ""
  paths = {}
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    if #line > 0 then table.insert(paths, line) end
  end
  next_path = 1 + (id * 7919) % #paths
  -- Spread the threads' schedules across one interval.
  next_send = now_us() + interval_us * id / nthreads
  samples = {}   -- service latency, us
  sched = {}     -- schedule latency, us
  nsamples = 0
  scheduled = {}
  sent = {}
  errors_non2xx = 0
end

function delay()
  local wait = next_send - now_us()
  if wait < 0 then wait = 0 end
  return wait / 1000  -- ms
end

function request()
  table.insert(scheduled, next_send)
  table.insert(sent, now_us())
  next_send = next_send + interval_us
  local p = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format("GET", p, { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  local due = table.remove(scheduled, 1)
  local t0 = table.remove(sent, 1)
  if t0 then
    local t = now_us()
    nsamples = nsamples + 1
    samples[nsamples] = t - t0
    -- wrk's ms timer may send a little early: never count less than the service time.
    sched[nsamples] = t - math.min(due, t0)
  end
  if status < 200 or status > 299 then errors_non2xx = errors_non2xx + 1 end
end

function done(summary, latency, requests)
  local all, all_sched = {}, {}
  local bad = 0
  for _, t in ipairs(threads) do
    local s, d = t:get("samples"), t:get("sched")
    local n = t:get("nsamples")
    for i = 1, n do
      all[#all + 1] = s[i]
      all_sched[#all_sched + 1] = d[i]
    end
    bad = bad + t:get("errors_non2xx")
  end
  table.sort(all)
  table.sort(all_sched)
  local function pct(list, p)
    if #list == 0 then return 0 end
    local i = math.ceil(p / 100 * #list)
    if i < 1 then i = 1 end
    return list[i] / 1000
  end
  local secs = summary.duration / 1000000
  -- One machine-readable line for scripts/bench to pick up.
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "sched_p50_ms=%.3f sched_p99_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / secs, pct(all, 50), pct(all, 90), pct(all, 99),
    pct(all, 100), pct(all_sched, 50), pct(all_sched, 99), bad,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
