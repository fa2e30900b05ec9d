-- 消防设计审查: tall or crowded buildings need an expert opinion and a site check.
local decimal = require("decimal")

function needs_expert(height, occupancy)
  return decimal.cmp(height, 100) > 0 or (occupancy or 0) >= 1000
end

function route(case, step)
  if needs_expert(case.form.height, case.form.occupancy) then return "site" end
  return "desk"
end

-- for the tests: what a hook sees of the applicant, and an empty function
function validate(case)
  if case.form.height == 0 then
    return { { field = "height", message = "applicant " .. tostring(case.applicant.id) } }
  end
end

function noop() end
