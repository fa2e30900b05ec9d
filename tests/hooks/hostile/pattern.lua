-- a pattern that backtracks for ever, in C where no budget reaches
function validate(case)
  return { (("a"):rep(40)):find(("a*"):rep(12) .. "b") }
end
