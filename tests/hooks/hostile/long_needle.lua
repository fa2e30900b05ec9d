-- a long needle in a long text, plain: n*m steps in C
function validate(case)
  local hay = ("a"):rep(100000)
  return { hay:find(("a"):rep(50000) .. "b", 1, true) }
end
