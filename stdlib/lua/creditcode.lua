-- creditcode: the unified social credit code (统一社会信用代码, GB 32100-2015).
--
--   local cc = require("creditcode")
--   cc.valid("91350100M000100Y43")       --> true
--   cc.authority("91350100M000100Y43")   --> "9"  (registration authority: 市场监管)
--   cc.category("91350100M000100Y43")    --> "1"  (category: 企业)
--   cc.kind("91350100M000100Y43")        --> "enterprise"
--   cc.region("91350100M000100Y43")      --> "350100"
local c = require("_onetrip")
local M = {}

local authorities = {
  ["1"] = "organisation", ["5"] = "civil affairs", ["9"] = "market regulation",
  ["Y"] = "other",
}
-- Registration authority 9 (market regulation): 1 enterprise, 2 individual
-- business, 3 farmers' cooperative.
local kinds9 = { ["1"] = "enterprise", ["2"] = "individual business", ["3"] = "cooperative" }

function M.valid(code)
  return type(code) == "string" and c.credit_valid(code)
end

function M.authority(code)
  if not M.valid(code) then return nil end
  return code:sub(1, 1), authorities[code:sub(1, 1)]
end

function M.category(code)
  if not M.valid(code) then return nil end
  return code:sub(2, 2)
end

function M.kind(code)
  if not M.valid(code) then return nil end
  if code:sub(1, 1) == "9" then return kinds9[code:sub(2, 2)] end
  return authorities[code:sub(1, 1)]
end

function M.region(code)
  if not M.valid(code) then return nil end
  return code:sub(3, 8)
end

return M
