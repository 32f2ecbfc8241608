-- wrk script for bench/soak.sh: a paced mix of reads and writes against one server.
--
-- Environment:
--   LOAD_USERS    users u0 … u<LOAD_USERS-1> (default 100000)
--   LOAD_ITEMS    items i0 … i<LOAD_ITEMS-1> (default 1000000)
--   LOAD_N        page size n of a recommendation (default 20)
--   LOAD_RATE     total requests/s over all threads (0: unpaced)
--   LOAD_THREADS  wrk threads (for the pacing)
--   SOAK_WRITES   share of requests that are writes, 0–1 (default 0.2): POST /v1/events with one click (half of them
--                 with a new event id each) or PUT /v1/items/{id} (one write in 20)
--
-- Pacing is bench/load/recommend.lua's (a schedule of send slots per thread through LuaJIT's FFI clock). done()
-- prints one SOAKRESULT line with the achieved rate, percentiles and errors by kind.

local users = tonumber(os.getenv("LOAD_USERS") or "100000")
local items = tonumber(os.getenv("LOAD_ITEMS") or "1000000")
local n = tonumber(os.getenv("LOAD_N") or "20")
local rate = tonumber(os.getenv("LOAD_RATE") or "0")
local writes = tonumber(os.getenv("SOAK_WRITES") or "0.2")

local counter = 0
function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
end

local now_ms
local interval_ms = 0
local next_slot = nil
local sent = 0

function init(args)
   math.randomseed(os.time() * 1000 + (id or 0) * 7919)
   for _ = 1, 10 do math.random() end
   if rate > 0 then
      local ok, ffi = pcall(require, "ffi")
      local thread_count = tonumber(os.getenv("LOAD_THREADS") or "1")
      interval_ms = 1000.0 * thread_count / rate
      if ok then
         pcall(ffi.cdef, [[
            typedef struct { long tv_sec; long tv_nsec; } soak_timespec;
            int clock_gettime(int clk_id, soak_timespec *tp);
         ]])
         local ts = ffi.new("soak_timespec[1]")
         now_ms = function()
            ffi.C.clock_gettime(1, ts)
            return tonumber(ts[0].tv_sec) * 1000.0 + tonumber(ts[0].tv_nsec) / 1e6
         end
      end
   end
end

function request()
   sent = sent + 1
   local user = math.random(0, users - 1)
   if math.random() >= writes then
      return wrk.format("GET", string.format("/v1/recommend/u%d?n=%d", user, n))
   end
   local item = math.random(0, items - 1)
   if math.random(1, 20) == 1 then
      local body = string.format('{"title":"Soak %d","categories":["soak"],"attributes":{"round":%d}}', item, sent)
      return wrk.format("PUT", string.format("/v1/items/i%d", item), { ["Content-Type"] = "application/json" }, body)
   end
   local event_id = ""
   if math.random() < 0.5 then
      event_id = string.format('"eventId":"soak-%d-%d-%d",', id or 0, sent, math.random(0, 1e9))
   end
   local body = string.format('{%s"userId":"u%d","itemId":"i%d","type":"click"}', event_id, user, item)
   return wrk.format("POST", "/v1/events", { ["Content-Type"] = "application/json" }, body)
end

if rate > 0 then
   function delay()
      if now_ms == nil then
         return math.floor(interval_ms)
      end
      local t = now_ms()
      if next_slot == nil or next_slot < t - 1000 then
         next_slot = t
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
      "SOAKRESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.connect, e.read, e.write, e.status, e.timeout))
end
