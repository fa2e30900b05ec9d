-- table.concat through an __index chain 1,990 tables long: one element
-- counted, 1,990 tables walked in C
function validate(case)
  local t = {}
  for i = 1, 1990 do t = setmetatable({}, { __index = t }) end
  local base = t
  while getmetatable(base) do base = getmetatable(base).__index end
  for i = 1, 10000 do base[i] = "x" end
  while true do table.concat(t, "", 1, 10000) end
end
