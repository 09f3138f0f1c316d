-- GET PATH?item=ITEM with the session cookie and MWT of a user drawn at random from
-- EDGE_BENCH_TOKENS (one `Cookie` value a line): user-scoped hits, or public hits that carry
-- a token the edge does not need.
dofile(os.getenv("EDGE_BENCH_LUA") .. "/report.lua")
local cookies = {}
init = function(args)
  for line in io.lines(os.getenv("EDGE_BENCH_TOKENS")) do cookies[#cookies + 1] = line end
  math.randomseed(os.time() + (tonumber(string.match(tostring({}), "0x(%x+)") or "0", 16) % 1000003))
end
request = function()
  local c = cookies[math.random(#cookies)]
  return wrk.format("GET", os.getenv("EDGE_BENCH_PATH") .. "?item=" .. math.random(tonumber(os.getenv("EDGE_BENCH_ITEMS") or "10")),
    { ["Cookie"] = c })
end
done = report
