-- A read-heavy mix: 95 % GETs of the public and per-user contexts (item 1..EDGE_BENCH_ITEMS,
-- a random user of EDGE_BENCH_TOKENS), 5 % `touch` mutations whose body invalidates one item.
dofile(os.getenv("EDGE_BENCH_LUA") .. "/report.lua")
local cookies = {}
local items = tonumber(os.getenv("EDGE_BENCH_ITEMS") or "100")
init = function(args)
  for line in io.lines(os.getenv("EDGE_BENCH_TOKENS")) do cookies[#cookies + 1] = line end
  math.randomseed(os.time() + (tonumber(string.match(tostring({}), "0x(%x+)") or "0", 16) % 1000003))
end
request = function()
  local c = cookies[math.random(#cookies)]
  local item = math.random(items)
  local r = math.random(100)
  if r <= 5 then
    return wrk.format("POST", "/api/mizan/call/touch",
      { ["Cookie"] = c, ["Content-Type"] = "application/json" }, '{"item":' .. item .. '}')
  elseif r <= 50 then
    return wrk.format("GET", "/api/mizan/ctx/pub/?item=" .. item, { ["Cookie"] = c })
  else
    return wrk.format("GET", "/api/mizan/ctx/me/?item=" .. item, { ["Cookie"] = c })
  end
end
done = report
