-- table.insert into a table that claims 10^15 elements: a loop in C
function validate(case)
  table.insert(setmetatable({}, { __len = function() return 1e15 end }), 1, "x")
end
