-- The same POST body every time ($BENCH_BODY_FILE, $BENCH_CONTENT_TYPE).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
setup = report.setup
done = report.done

local f = io.open(os.getenv("BENCH_BODY_FILE"), "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")
