-- 老年人优待证: age from the ID number; under 60 is not eligible.
local idcard = require("idcard")

function derive(case)
  return { age = idcard.age(case.form.id_no, case.now) }
end

function validate(case)
  local errors = {}
  local age = case.form.age
  if age and age < 60 then
    errors[#errors + 1] = { field = "id_no", message = "申请人未满60周岁 the applicant is under 60" }
  end
  return errors
end

function on_enter(case, step)
  if step == "issue" then return "优待证制证 card being made" end
end
