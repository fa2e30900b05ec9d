-- a metatable made weak after setmetatable checked it: the collector's
-- work on weak tables (60,000 keys chained through their values) is in C,
-- outside every budget
function validate(case)
  local mt = {}
  local w = setmetatable({}, mt)
  mt.__mode = "k"
  local prev = {}
  for i = 1, 60000 do
    local k = {}
    w[k] = prev
    prev = k
  end
  for i = 1, 1000000 do local junk = {} end
end
