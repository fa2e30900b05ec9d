-- string.rep of nothing, a huge number of times: a loop in C
function validate(case)
  local s = string.rep("", math.maxinteger)
  error("survived with " .. #s .. " bytes")
end
