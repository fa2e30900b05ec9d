-- replacing the case view's metatable
function validate(case)
  setmetatable(case, { __index = function() return "x" end })
end
