-- The same GET every time (wrk's default request), reported as one line.
dofile(os.getenv("EDGE_BENCH_LUA") .. "/report.lua")
done = report
