-- wrk script: the request mix of benches/compare.sh on spec/memory-v1.yaml.
--
-- Cycles over all seven operations with valid requests, requests that pick a
-- documented status with `Prefer: code=...`, and invalid requests that the
-- contract says must get 400. Every request has the status it must get; the
-- script counts, per status, how many requests expected it and how many
-- responses had it. wrk does not say which request a response answers, so a
-- status that came back more often than it was asked for counts as that many
-- wrong answers (exact once the requests in flight at the end are accounted
-- for: at most one per connection). A server that answers everything with 200
-- therefore cannot look fast: its wrong answers are reported.
--
-- With MIX=bare (environment), every request expects 202: the bare hyper server
-- answers everything with its fixed body.
--
-- done() prints one machine-readable line:
--   MIX requests=N duration_us=N rps=F p50_us=N p99_us=N max_us=N unexpected=N
--       socket_errors=N timeouts=N statuses=200:N,202:N,...

local S = "mem_store_00000000000000000000000000"
local P = "mem_profile_00000000000000000000000000"
local M = "mem_datamapping_00000000000000000000000000"
local IDS = "/v1/Stores/" .. S .. "/Profiles/" .. P .. "/Identifiers"
-- Every request carries credentials: the contract requires HTTP Basic, and Prism
-- answers 401 without them (mimeo checks them only with --auth).
local AUTH = { Authorization = "Basic QUMxMjM6c2VjcmV0" }
local JSON = { ["Content-Type"] = "application/json" }

local function with(...)
  local t = {}
  for _, h in ipairs({ ... }) do
    for k, v in pairs(h) do t[k] = v end
  end
  return t
end

-- { method, path, headers, body, expected status }
local mix = {
  -- valid requests, one per operation: the default (lowest 2xx) answer
  { "POST", IDS, JSON, '{"idType":"phone","value":"+13175556789"}', 202 },
  { "GET", IDS, nil, nil, 200 },
  { "GET", IDS .. "/email", nil, nil, 200 },
  { "PATCH", IDS .. "/phone", JSON, '{"idType":"phone","oldValue":"+13175556789","newValue":"+13175556798"}', 202 },
  { "DELETE", IDS .. "/email?removeAll=true", nil, nil, 202 },
  { "DELETE", "/v1/ControlPlane/Stores/" .. S, nil, nil, 202 },
  { "DELETE", "/v1/ControlPlane/Stores/" .. S .. "/DataMappings/" .. M, nil, nil, 202 },
  -- the frequent ones again, as a client mostly reads and adds
  { "GET", IDS .. "/phone", nil, nil, 200 },
  { "POST", IDS, JSON, '{"idType":"email","value":"a@example.com"}', 202 },
  -- a documented status chosen with Prefer
  { "PATCH", IDS .. "/email", with(JSON, { Prefer = "code=409" }), '{"idType":"email","oldValue":"a@x.io","newValue":"b@x.io"}', 409 },
  { "GET", IDS, { Prefer = "code=404" }, nil, 404 },
  { "DELETE", "/v1/ControlPlane/Stores/" .. S, { Prefer = "code=429" }, nil, 429 },
  { "POST", IDS, with(JSON, { Prefer = "code=503" }), '{"idType":"phone","value":"+13175556789"}', 503 },
  -- invalid requests: the contract's 400
  { "POST", IDS, JSON, '{"idType":"p","extra":1}', 400 },                                 -- body: minLength, required, additionalProperties
  { "PATCH", IDS .. "/phone", JSON, '{"idType":"phone","oldValue":"+13175556789"}', 400 }, -- body: required newValue
  { "DELETE", "/v1/ControlPlane/Stores/nope", nil, nil, 400 },                            -- path: pattern
}

if os.getenv("MIX") == "bare" then
  for _, r in ipairs(mix) do r[5] = 202 end
end

local requests = {}
local expected = {}

local i = 0
sent = {}      -- per thread: status -> requests that expected it
got = {}       -- per thread: status -> responses that had it
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for n, r in ipairs(mix) do
    requests[n] = wrk.format(r[1], r[2], with(AUTH, r[3] or {}), r[4])
    expected[n] = r[5]
  end
end

function request()
  i = i % #requests + 1
  local s = expected[i]
  sent[s] = (sent[s] or 0) + 1
  return requests[i]
end

function response(status, headers, body)
  got[status] = (got[status] or 0) + 1
end

function done(summary, latency, _)
  local s_all, g_all = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("sent") or {}) do s_all[k] = (s_all[k] or 0) + v end
    for k, v in pairs(t:get("got") or {}) do g_all[k] = (g_all[k] or 0) + v end
  end
  local unexpected = 0
  local keys = {}
  for k, v in pairs(g_all) do
    table.insert(keys, k)
    local over = v - (s_all[k] or 0)
    if over > 0 then unexpected = unexpected + over end
  end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    table.insert(parts, k .. ":" .. g_all[k] .. "/" .. (s_all[k] or 0))
  end
  local e = summary.errors
  io.write(string.format(
    "MIX requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d unexpected=%d socket_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max, unexpected,
    e.connect + e.read + e.write, e.timeout, table.concat(parts, ",")))
end
