-- a sort of many references to one long text: each comparison is a long
-- loop in C (strcoll), so every comparison is charged by its length
function validate(case)
  local s, t = ("x"):rep(1000000), {}
  for i = 1, 20000 do t[i] = s end
  table.sort(t)
end
