-- table.move over 10^15 elements: a loop in C
function validate(case)
  table.move({}, 1, 1e15, 1, {})
end
