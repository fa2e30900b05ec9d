-- pairs() on a library, to get at the real table behind it
function validate(case)
  local _, real = pairs(string)
  real.upper = function() return "PWNED" end
end
