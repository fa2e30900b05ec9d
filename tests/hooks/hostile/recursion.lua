-- deep recursion
local function f(n) return f(n + 1) + 1 end
function validate(case)
  return f(1)
end
