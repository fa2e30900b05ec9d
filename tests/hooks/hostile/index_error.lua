-- an answer whose entry raises when the engine reads it
function validate(case)
  return { setmetatable({}, { __index = function() error("boom") end }) }
end
