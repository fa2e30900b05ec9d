-- a memory bomb
function validate(case)
  local s = string.rep("x", 1000000000)
  return {}
end
