-- gsub's 4th argument is a count, not "plain": the pattern is still checked
function validate(case)
  return { (("a"):rep(40)):gsub(("a*"):rep(12) .. "b", "", 1) }
end
