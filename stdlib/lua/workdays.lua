-- workdays: working days with the calendar of the case's item, counted by
-- the engine's own code (the same as due dates), never re-implemented here.
--
--   local workdays = require("workdays")
--   workdays.add("2019-09-27", 7)                    --> "2019-10-12"
--   workdays.between("2019-09-27", "2019-10-12")     --> 7  (days in (from, to])
--   workdays.is_workday("2019-09-29")                --> true (调休上班)
--   workdays.today(case)                             --> "2019-09-27"
local c = require("_onetrip")
local M = {}

function M.add(date, n) return c.workdays_add(date, n) end
function M.between(from, to) return c.workdays_between(from, to) end
function M.is_workday(date) return c.is_workday(date) end
function M.today(case) return case.now:sub(1, 10) end

return M
