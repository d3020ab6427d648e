-- GET $BENCH_PATH_PREFIX<id> with ids drawn at random from $BENCH_DATA (one id a line).
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local report = require("report")
setup = report.setup
done = report.done

local ids, prefix

function init(args)
  ids = report.lines(os.getenv("BENCH_DATA"), false)
  prefix = os.getenv("BENCH_PATH_PREFIX")
  math.randomseed(os.time() + 7919 * (tonumber(tid) or 0))
end

function request()
  return wrk.format("GET", prefix .. ids[math.random(#ids)])
end
