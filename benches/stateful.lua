-- wrk script: the stateful mix of benches/compare.sh (`mimeo serve --stateful`).
--
-- 10,000 profiles spread over 100 sessions (X-Mimeo-Session), one after the
-- other taken through add, add, list, fetch, modify, fetch, remove one; the
-- next pass over them finds the values the last one left. wrk cannot tell which
-- request a response answers, so the check is by status: every answer must be
-- one the stateful mock may give to these requests (200, 202, 404, 409); any
-- other status is counted as unexpected.
--
-- done() prints the same machine-readable line as mix.lua:
--   MIX requests=N duration_us=N rps=F p50_us=N p99_us=N max_us=N unexpected=N
--       socket_errors=N timeouts=N statuses=200:N,202:N,...

local S = "mem_store_00000000000000000000000000"
local PROFILES = 10000
local SESSIONS = 100
local AUTH = "Basic QUMxMjM6c2VjcmV0"
local ALLOWED = { [200] = true, [202] = true, [404] = true, [409] = true }

local requests = {}
got = {}
local threads = {}
local i = 0

function setup(thread)
  table.insert(threads, thread)
end

local function profile(n)
  return string.format("mem_profile_0%025d", n)
end

function init(args)
  local ops = {
    function(p, n) return "POST", "", '{"idType":"email","value":"a' .. n .. '@x.io"}' end,
    function(p, n) return "POST", "", '{"idType":"email","value":"b' .. n .. '@x.io"}' end,
    function(p, n) return "GET", "", nil end,
    function(p, n) return "GET", "/email", nil end,
    function(p, n) return "PATCH", "/email", '{"idType":"email","oldValue":"a' .. n .. '@x.io","newValue":"c' .. n .. '@x.io"}' end,
    function(p, n) return "GET", "/email", nil end,
    function(p, n) return "DELETE", "/email", nil end,
  }
  for n = 0, PROFILES - 1 do
    for _, op in ipairs(ops) do
      local p = profile(n)
      local method, tail, body = op(p, n)
      local headers = {
        Authorization = AUTH,
        ["X-Mimeo-Session"] = "s" .. (n % SESSIONS),
      }
      if body then headers["Content-Type"] = "application/json" end
      local path = "/v1/Stores/" .. S .. "/Profiles/" .. p .. "/Identifiers" .. tail
      table.insert(requests, wrk.format(method, path, headers, body))
    end
  end
end

function request()
  i = i % #requests + 1
  return requests[i]
end

function response(status, headers, body)
  got[status] = (got[status] or 0) + 1
end

function done(summary, latency, _)
  local g_all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("got") or {}) do g_all[k] = (g_all[k] or 0) + v end
  end
  local unexpected = 0
  local keys = {}
  for k, v in pairs(g_all) do
    table.insert(keys, k)
    if not ALLOWED[k] then unexpected = unexpected + v end
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do table.insert(parts, k .. ":" .. g_all[k]) end
  local e = summary.errors
  io.write(string.format(
    "MIX requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d unexpected=%d socket_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max, unexpected,
    e.connect + e.read + e.write, e.timeout, table.concat(parts, ",")))
end
