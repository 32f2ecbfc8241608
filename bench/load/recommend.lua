-- wrk script: GET /v1/recommend/u<random user>?n=<N>, optionally paced to a fixed request rate.
--
-- Environment:
--   LOAD_USERS  users to draw from, ids u0 … u<LOAD_USERS-1> (default 100000)
--   LOAD_N      page size n (default 20)
--   LOAD_RATE   total requests/s over all threads; 0 or unset = as fast as the connections allow (saturation)
--
-- wrk has no rate control, so pacing uses the delay() hook: each thread keeps a schedule of send slots spaced
-- threads/rate seconds apart and delays every next request until its slot (clock_gettime through LuaJIT's FFI).
-- A connection whose response came late sends at once, so the achieved rate stays on target as long as the
-- connections can cover the latency; it is still a closed loop (a slow response delays that connection's next
-- request), so the latency percentiles are those of the requests actually sent. The summary line printed by done()
-- carries the achieved rate, which bench/load.sh checks against the target.

local users = tonumber(os.getenv("LOAD_USERS") or "100000")
local n = tonumber(os.getenv("LOAD_N") or "20")
local rate = tonumber(os.getenv("LOAD_RATE") or "0")

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

local now_ms
local interval_ms = 0
local next_slot = nil

function init(args)
   math.randomseed(os.time() * 1000 + (id or 0) * 7919)
   for _ = 1, 10 do math.random() end
   if rate > 0 then
      local ok, ffi = pcall(require, "ffi")
      local thread_count = tonumber(os.getenv("LOAD_THREADS") or "1")
      interval_ms = 1000.0 * thread_count / rate
      if ok then
         pcall(ffi.cdef, [[
            typedef struct { long tv_sec; long tv_nsec; } load_timespec;
            int clock_gettime(int clk_id, load_timespec *tp);
         ]])
         local ts = ffi.new("load_timespec[1]")
         now_ms = function()
            ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
            return tonumber(ts[0].tv_sec) * 1000.0 + tonumber(ts[0].tv_nsec) / 1e6
         end
      end
   end
end

function request()
   local path = string.format("/v1/recommend/u%d?n=%d", math.random(0, users - 1), n)
   return wrk.format("GET", path)
end

if rate > 0 then
   function delay()
      if now_ms == nil then
         -- No FFI: a fixed per-request delay of connections-per-thread × interval (slightly under target).
         return math.floor(interval_ms * (tonumber(os.getenv("LOAD_CONNECTIONS_PER_THREAD") or "1")))
      end
      local t = now_ms()
      if next_slot == nil or next_slot < t - 1000 then
         next_slot = t -- start, or after a stall longer than a second: do not burst to catch up
      end
      next_slot = next_slot + interval_ms
      local wait = next_slot - t
      if wait < 0 then
         return 0
      end
      return math.floor(wait + 0.5)
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "LOADRESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
      e.connect, e.read, e.write, e.status, e.timeout))
end
