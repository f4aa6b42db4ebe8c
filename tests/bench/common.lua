-- common.lua — what every wrk script of tests/bench shares (issue 6).
--
-- Loaded by get.lua, post.lua and api.lua with dofile. Those define
-- make_request(); this file defines wrk's hooks around it:
--
--   wrk -tT ... -s tests/bench/X.lua URL -- MODE MARKERS T [EXTRA...]
--
-- T is wrk's thread count again (a thread's init() runs before the next
-- thread's setup(), so setup() cannot tell it). MODE is "time=S" (send requests for S seconds) or "count=N" (send N in
-- all, shared between wrk's threads). After that each connection sends
-- nothing more (delay() holds it), so that when wrk stops no request is
-- left in flight: every request the server answered was counted here, and
-- the store's new rows must equal the 200/201 answers counted. A thread
-- whose last answer is in writes MARKERS/done.<thread> and stops; the
-- runner then ends wrk with SIGINT, so wrk's own duration is the real one.
-- done() prints one line "BENCH {json}" with the counts and latencies.

local ffi = require("ffi")
ffi.cdef[[
struct bench_timeval { long tv_sec; long tv_usec; };
int gettimeofday(struct bench_timeval *tv, void *tz);
]]

local function now()
	local tv = ffi.new("struct bench_timeval")
	ffi.C.gettimeofday(tv, nil)
	return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

-- Main state: the threads, numbered 0.., for setup() and done().
local threads = {}

function setup(thread)
	thread:set("tid", #threads)
	table.insert(threads, thread)
end

-- Thread state.
local deadline, budget = nil, nil
local reserved, got = 0, 0
statuses = {}		-- global: done() reads it with thread:get
exhausted = 0		-- global: requests made without a fresh token
local markers
local finished = false
extra_args = {}

function init(args)
	local mode = args[1] or "time=10"
	markers = args[2]
	nthreads = tonumber(args[3]) or error("bench: no thread count")
	local kind, value = mode:match("^(%a+)=([%d%.]+)$")
	if kind == "time" then
		deadline = now() + tonumber(value)
	elseif kind == "count" then
		-- This thread's share of the total, the remainder to the first.
		local total, n = tonumber(value), nthreads
		budget = math.floor(total / n)
		if (tid or 0) < total % n then
			budget = budget + 1
		end
	else
		error("bench: bad mode " .. mode)
	end
	for i = 4, #args do
		extra_args[#extra_args + 1] = args[i]
	end
	if thread_init then
		thread_init(extra_args)
	end
end

local function stopping()
	if budget then
		return reserved >= budget
	end
	return now() >= deadline
end

-- Each request is reserved here before request() builds it; once the run
-- is over the connection just waits (an hour) until wrk is stopped.
function delay()
	if stopping() then
		return 3600 * 1000
	end
	reserved = reserved + 1
	return 0
end

function request()
	return make_request()
end

local function finish()
	if finished then
		return
	end
	finished = true
	if markers and markers ~= "" then
		local f = io.open(markers .. "/done." .. tostring(tid), "w")
		if f then
			f:write(tostring(got), "\n")
			f:close()
		end
	end
	wrk.thread:stop()
end

function response(status, headers, body)
	got = got + 1
	statuses[status] = (statuses[status] or 0) + 1
	if response_hook then
		response_hook(status, headers, body)
	end
	if got >= reserved and stopping() then
		-- Stopping at once would drop a reserved request whose timer
		-- has not fired yet; got == reserved means none is pending.
		finish()
	end
end

function done(summary, latency, requests)
	local counts, exhausted = {}, 0
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("statuses") or {}) do
			k = tostring(k)
			counts[k] = (counts[k] or 0) + v
		end
		exhausted = exhausted + (t:get("exhausted") or 0)
	end
	local parts = {}
	for k, v in pairs(counts) do
		parts[#parts + 1] = string.format('"%s":%d', k, v)
	end
	local e = summary.errors
	io.write(string.format(
	    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,' ..
	    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
	    '"timeout":%d},"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,' ..
	    '"p99":%d,"p999":%d,"max":%d},"status":{%s},"exhausted":%d}\n',
	    summary.requests, summary.duration, summary.bytes,
	    e.connect, e.read, e.write, e.status, e.timeout,
	    latency.mean, latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency:percentile(99.9), latency.max,
	    table.concat(parts, ","), exhausted))
end
