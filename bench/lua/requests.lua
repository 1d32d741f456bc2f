-- wrk script: replay a list of prepared requests, one per line of a TSV file given after `--`:
--   METHOD <TAB> PATH <TAB> HEADERS ("Name: value" joined by "|", may be empty) <TAB> BODY (may be empty)
-- Thread t of n sends lines offset+t, offset+t+n, ... so threads never share a line (a fresh reader token stays
-- fresh); a list shorter than the thread count is sent whole by every thread.
-- done() prints one line "BENCH_JSON {...}" with throughput, latency percentiles and errors.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local function split(s, sep)
  local out, start = {}, 1
  while true do
    local i = string.find(s, sep, start, true)
    if not i then
      table.insert(out, string.sub(s, start))
      return out
    end
    table.insert(out, string.sub(s, start, i - 1))
    start = i + #sep
  end
end

local function build(line)
  local f = split(line, "\t")
  local headers = {}
  if f[3] and f[3] ~= "" then
    for _, h in ipairs(split(f[3], "|")) do
      local colon = string.find(h, ": ", 1, true)
      headers[string.sub(h, 1, colon - 1)] = string.sub(h, colon + 2)
    end
  end
  local body = f[4]
  if body == "" then body = nil end
  return wrk.format(f[1], f[2], headers, body)
end

-- args: TSV path, number of threads, offset (lines already used by earlier runs; taken modulo the file length)
function init(args)
  local nthreads = tonumber(args[2] or "1")
  local lines = {}
  for line in io.lines(args[1]) do
    table.insert(lines, line)
  end
  local offset = tonumber(args[3] or "0") % #lines
  requests_list = {}
  position = 0
  wraps = 0
  for i = offset + 1, #lines do
    if #lines < nthreads or (i - offset - 1) % nthreads == id then
      table.insert(requests_list, build(lines[i]))
    end
  end
  if #requests_list == 0 then
    for i = 1, #lines do
      table.insert(requests_list, build(lines[i]))
    end
  end
end

function request()
  position = position + 1
  if position > #requests_list then
    position = 1
    wraps = wraps + 1
  end
  return requests_list[position]
end

function done(summary, latency, requests)
  local total_wraps = 0
  for _, t in ipairs(threads) do
    total_wraps = total_wraps + (t:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "wraps": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, total_wraps))
end
