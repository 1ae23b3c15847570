-- wrk script: POST a `committed` event to one of many projects, round robin.
-- Arguments (after `--`): a file with one project id per line, a recorder API key and,
-- optionally, a pause in milliseconds before each request (to pace the load).
local ids = {}
local token = ""
local counter = 0
local pause = 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  token = args[2]
  pause = tonumber(args[3] or "0")
  -- Threads start at different projects so that they rarely write the same one at once.
  counter = math.random(#ids)
end

local body = '{"type":"committed","amount":{"amount":"1000.00","currency":"USD"},' ..
             '"effective_date":"2025-02-01"}'

function request()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  return wrk.format("POST", "/api/v1/projects/" .. id .. "/events", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function delay()
  return pause
end
