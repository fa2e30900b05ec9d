-- table walks each within bounds, many times over: every element is charged
function validate(case)
  local a, b = {}, {}
  for i = 1, 1000 do table.move(a, 1, 100000, 1, b) end
end
