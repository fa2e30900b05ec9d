-- table.remove with a negative length and a far position: the shift loop
-- in C would run 2^63 times
function validate(case)
  local t = setmetatable({}, { __len = function() return -6 end })
  table.remove(t, math.mininteger)
end
