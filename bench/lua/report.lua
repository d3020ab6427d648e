-- Shared by every bench script: write wrk's summary as JSON to $BENCH_OUT when the run ends.
local M = {}

local threads = {}

function M.setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function M.done(summary, latency, requests)
  local wraps = 0
  for _, t in ipairs(threads) do
    wraps = wraps + (tonumber(t:get("wraps")) or 0)
  end
  local e = summary.errors
  local out = io.open(os.getenv("BENCH_OUT"), "w")
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"wraps":%d}',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), wraps))
  out:close()
end

-- Lines of a file (one request's data per line); this thread's share when `split` is true.
function M.lines(path, split)
  local all, mine = {}, {}
  for line in io.lines(path) do
    all[#all + 1] = line
  end
  if not split then
    return all
  end
  local n, t = tonumber(os.getenv("BENCH_THREADS") or "1"), tonumber(tid or 0)
  for i, line in ipairs(all) do
    if (i - 1) % n == t then
      mine[#mine + 1] = line
    end
  end
  return mine
end

-- wrk.format() REPLACES wrk.headers (the -H headers, e.g. Authorization) when given a table:
-- start from a copy of them.
function M.headers(extra)
  local h = {}
  for k, v in pairs(wrk.headers) do
    h[k] = v
  end
  for k, v in pairs(extra or {}) do
    h[k] = v
  end
  return h
end

return M
