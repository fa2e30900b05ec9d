-- an answer whose entry loops when the engine reads it
function validate(case)
  return { setmetatable({}, { __index = function() while true do end end }) }
end
