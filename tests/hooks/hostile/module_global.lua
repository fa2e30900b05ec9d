-- state kept in a module's globals would carry over from case to case
local counter = require("counter_mod")
function validate(case)
  counter.bump()
end
