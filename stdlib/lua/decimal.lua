-- decimal: exact arithmetic on decimal numbers written as text, with the
-- engine's own decimals (no binary floating point for money or areas).
--
--   local decimal = require("decimal")
--   decimal.add("0.1", "0.2")          --> "0.3"
--   decimal.mul("1234.56", "0.05")     --> "61.728"
--   decimal.div("1", "3")              --> "0.333333"   (6 places, half away from zero)
--   decimal.cmp("2.50", "2.5")         --> 0
--   decimal.of(12.5)                   --> "12.5"
local c = require("_onetrip")
local M = {}

function M.of(x) return c.dec_of(x) end
function M.add(a, b) return c.dec_op("+", a, b) end
function M.sub(a, b) return c.dec_op("-", a, b) end
function M.mul(a, b) return c.dec_op("*", a, b) end
function M.div(a, b) return c.dec_op("/", a, b) end
function M.cmp(a, b) return c.dec_cmp(a, b) end

return M
