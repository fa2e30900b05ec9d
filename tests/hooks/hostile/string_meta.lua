-- changing the string library of every hook
function validate(case)
  getmetatable("").__index.upper = nil
end
