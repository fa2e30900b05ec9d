-- The case view's applicant, materials and current steps are made when
-- first read (hooks.c, push_view): nothing may tell it from a view built
-- whole, and a case kept from an earlier call of the operation reads as it
-- was then, not as the later call's.
local first
function derive(case)
  first = case -- kept; none of its parts read here
end

local function keys(t)
  local k = {}
  for name in pairs(t) do k[#k + 1] = tostring(name) end
  table.sort(k)
  return table.concat(k, ",")
end

local function refused(f)
  local ok, err = pcall(f)
  return not ok and tostring(err):find("read-only", 1, true) ~= nil
end

function validate(case)
  local a = case.applicant
  local out = {
    "keys " .. keys(case),
    "applicant " .. keys(a) .. " " .. a.kind .. " " .. a.id,
    "materials " .. keys(case.materials) .. " " .. tostring(case.materials.m),
    "current " .. #case.current,
    "same " .. tostring(rawequal(case.materials, case.materials) and rawequal(a, case.applicant)),
    "refused " .. tostring(refused(function() case.materials = {} end) and
      refused(function() case.materials.x = 1 end) and refused(function() a.id = "x" end) and
      refused(function() case.current[1] = "x" end) and refused(function() case.applicant = {} end)),
    "first " .. keys(first.materials) .. "|" .. first.applicant.id .. "|" .. keys(first),
  }
  if case.form.note ~= "report" then return {} end -- lets a submission through
  return { { material = "m", message = table.concat(out, "; ") } }
end

function on_enter(case, step)
  return "entering " .. step .. ", current [" .. table.concat(case.current, ",") .. "] of " ..
    #case.current .. ", first " .. first.status .. " " .. keys(first.materials)
end
