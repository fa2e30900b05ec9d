-- %b over a text of unbalanced brackets: n^2 steps in C
function validate(case)
  return { ("("):rep(200000):find("%b()") }
end
