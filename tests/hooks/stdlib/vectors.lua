-- Test vectors for stdlib/lua: every failure becomes a form error.
local idcard = require("idcard")
local cc = require("creditcode")
local workdays = require("workdays")
local decimal = require("decimal")
local text = require("text")

local cases = {
  -- GB 11643-1999
  { idcard.valid("11010519491231002X"), true },
  { idcard.valid("11010519491231002x"), true },
  { idcard.valid("110105194912310021"), false },   -- check character changed
  { idcard.valid("11010519491231002"), false },    -- too short
  { idcard.valid("11010519490231002X"), false },   -- no 31 February
  { idcard.birth("11010519491231002X"), "1949-12-31" },
  { idcard.sex("11010519491231002X"), "female" },
  { idcard.sex("110105193001010013"), "male" },
  { idcard.region("11010519491231002X"), "110105" },
  { idcard.age("11010519491231002X", "2019-12-30"), 69 },
  { idcard.age("11010519491231002X", "2019-12-31T09:00:00+08:00"), 70 },
  { idcard.birth("bad"), nil },
  -- born on 29 February: in other years a year of age ends on 28 February,
  -- as the engine ends a year counted from that day
  { idcard.age("110105200002290013", "2001-02-27"), 0 },
  { idcard.age("110105200002290013", "2001-02-28"), 1 },
  { idcard.age("110105200002290013", "2004-02-28"), 3 },
  { idcard.age("110105200002290013", "2004-02-29"), 4 },
  { idcard.age("11010519491231002X", "1949-12-30"), nil },   -- before the birth
  -- GB 32100-2015
  { cc.valid("91350100M000100Y43"), true },
  { cc.valid("91330100716105852F"), true },
  { cc.valid("91350100M000100Y44"), false },
  { cc.valid("91350100M000I00Y43"), false },       -- I is not in the alphabet
  { cc.valid("911100001000128355"), false },
  { cc.authority("91350100M000100Y43"), "9" },
  { cc.category("91350100M000100Y43"), "1" },
  { cc.kind("91350100M000100Y43"), "enterprise" },
  { cc.region("91350100M000100Y43"), "350100" },
  { cc.valid("00ABCDEFM000100Y4B"), false },       -- characters 3-8: a division code, digits
  -- working days with the item's calendar (the engine's code)
  { workdays.add("2019-09-27", 7), "2019-10-12" },
  { workdays.add("2019-09-27", 1), "2019-09-29" },
  { workdays.between("2019-09-27", "2019-10-12"), 7 },
  { workdays.is_workday("2019-10-01"), false },
  { workdays.is_workday("2019-10-12"), true },
  -- exact decimals
  { decimal.add("0.1", "0.2"), "0.3" },
  { decimal.sub("1", "0.01"), "0.99" },
  { decimal.mul("1234.56", "0.05"), "61.728" },
  { decimal.div("1", "3"), "0.333333" },
  { decimal.cmp("2.50", "2.5"), 0 },
  { decimal.cmp("-1", "0.5"), -1 },
  { decimal.of(12.5), "12.5" },
  -- UTF-8 text
  { text.len("立山区"), 3 },
  { text.len(nil), 0 },
  { text.trim("\u{3000} 曙光街道 \u{3000}"), "曙光街道" },
  { text.trim("行政审批局"), "行政审批局" },
  { text.trim(""), "" },
  { text.trim(" \u{3000} "), "" },
  { text.trim(" a\u{3000}b "), "a\u{3000}b" },
  -- linear: blanks inside an applicant's text cost no more than elsewhere
  { text.trim("辽宁省鞍山市" .. string.rep(" ", 20000) .. "立山区 "), "辽宁省鞍山市" .. string.rep(" ", 20000) .. "立山区" },
  { text.trim(string.rep("\u{3000}", 5000) .. "x"), "x" },
  { text.contains("立山区行政审批局", "审批"), true },
  { text.starts("鞍山市立山区", "鞍山"), true },
}

function validate(case)
  local errors = {}
  for i, c in ipairs(cases) do
    if c[1] ~= c[2] then
      errors[#errors + 1] = { field = "x", message = "vector " .. i .. ": got " ..
        tostring(c[1]) .. ", wanted " .. tostring(c[2]) }
    end
  end
  local ok, err = pcall(decimal.div, "1", "0")
  if ok then errors[#errors + 1] = { field = "x", message = "1/0 did not fail" } end
  -- a date followed by anything but a time is not a date
  for _, bad in ipairs({ "2019-09-27garbage", "2019-09-27T99:99", "2019-9-27" }) do
    if pcall(workdays.add, bad, 1) then
      errors[#errors + 1] = { field = "x", message = "workdays.add took " .. bad }
    end
    if pcall(idcard.age, "11010519491231002X", bad) then
      errors[#errors + 1] = { field = "x", message = "idcard.age took " .. bad }
    end
  end
  return errors
end
