-- table.unpack through an __index chain 1,990 tables long: each element a
-- walk of the chain in C, and unpack itself was not counted at all
function validate(case)
  local t = {}
  for i = 1, 1990 do t = setmetatable({}, { __index = t }) end
  while true do table.unpack(t, 1, 50000) end
end
