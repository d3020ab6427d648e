-- POSTs from $BENCH_DATA, one request a line: "<header value>\t<body>". Each thread takes its
-- own share of the lines (distinct events stay distinct); `wraps` counts reuse of a share.
-- $BENCH_HEADER names the header ("Stripe-Signature"), $BENCH_CONTENT_TYPE the body type.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
setup = report.setup
done = report.done

local items, i, path, header, ctype
wraps = 0

function init(args)
  items = {}
  for _, line in ipairs(report.lines(os.getenv("BENCH_DATA"), true)) do
    local tab = string.find(line, "\t", 1, true)
    items[#items + 1] = { string.sub(line, 1, tab - 1), string.sub(line, tab + 1) }
  end
  i = 0
  path = os.getenv("BENCH_PATH")
  header = os.getenv("BENCH_HEADER")
  ctype = os.getenv("BENCH_CONTENT_TYPE")
end

function request()
  i = i + 1
  if i > #items then
    i = 1
    wraps = wraps + 1
  end
  local item = items[i]
  local headers = report.headers({ ["Content-Type"] = ctype })
  if header ~= "" then
    headers[header] = item[1]
  end
  return wrk.format("POST", path, headers, item[2])
end
