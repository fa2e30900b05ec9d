-- idcard: the resident identity number (公民身份号码, GB 11643-1999).
--
--   local idcard = require("idcard")
--   idcard.valid("11010519491231002X")      --> true
--   idcard.birth("11010519491231002X")      --> "1949-12-31"
--   idcard.sex("11010519491231002X")        --> "female"
--   idcard.region("11010519491231002X")     --> "110105"
--   idcard.age("11010519491231002X", case.now) --> 69 (whole years on that day)
--
-- The check character is computed by the engine (the same code that checks
-- id_number fields), so a hook and a form never disagree.
local c = require("_onetrip")
local M = {}

function M.valid(id)
  return type(id) == "string" and c.id_valid(id)
end

function M.birth(id)
  if not M.valid(id) then return nil end
  return id:sub(7, 10) .. "-" .. id:sub(11, 12) .. "-" .. id:sub(13, 14)
end

-- The 17th digit: odd for men, even for women.
function M.sex(id)
  if not M.valid(id) then return nil end
  return tonumber(id:sub(17, 17)) % 2 == 1 and "male" or "female"
end

-- The six-digit administrative division code of the place of registration.
function M.region(id)
  if not M.valid(id) then return nil end
  return id:sub(1, 6)
end

-- Whole years of age on `on` ("YYYY-MM-DD", or a case's now); nil for an
-- `on` before the birth.  A birthday of 29 February falls on 28 February
-- in other years, as the engine ends a year counted from that day
-- (民法典 第二百零三条: no such day in the last month, its last day).
function M.age(id, on)
  local birth = M.birth(id)
  if not birth or on == nil then return nil end
  local day = type(on) == "string" and c.day_of(on)
  if not day then error("idcard.age: 'on' must be a date YYYY-MM-DD or a case's now", 2) end
  local by, bm, bd = birth:match("(%d+)-(%d+)-(%d+)")
  local y, m, d = day:match("(%d+)-(%d+)-(%d+)")
  by, bm, bd, y, m, d = tonumber(by), tonumber(bm), tonumber(bd), tonumber(y), tonumber(m), tonumber(d)
  local leap = y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
  if bm == 2 and bd == 29 and not leap then bd = 28 end
  local age = y - by
  if m * 100 + d < bm * 100 + bd then age = age - 1 end
  if age < 0 then return nil end
  return age
end

return M
