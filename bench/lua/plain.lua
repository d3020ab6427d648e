-- A fixed request (the URL and -H headers given to wrk); only the JSON report is added.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
setup = report.setup
done = report.done
