-- each step is one instruction but a long one (a megabyte upper-cased):
-- within the instruction budget for seconds; the time limit stops it
function validate(case)
  local t = ("x"):rep(1000000)
  while true do local u = t:upper() end
end
