-- The gateway call alone: POST /v1/checkout/sessions to the sandbox, form-encoded as the
-- stripe SDK sends it, with a fresh Idempotency-Key each time (the service sends one too).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
setup = report.setup
done = report.done

local body, n, stamp
local f = io.open(os.getenv("BENCH_BODY_FILE"), "rb")
body = f:read("*a")
f:close()

function init(args)
  n = 0
  stamp = tostring(os.time()) .. "-" .. tostring(tid or 0)
end

function request()
  n = n + 1
  local headers = report.headers({
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Idempotency-Key"] = "bench-" .. stamp .. "-" .. n,
  })
  return wrk.format("POST", "/v1/checkout/sessions", headers, body)
end
