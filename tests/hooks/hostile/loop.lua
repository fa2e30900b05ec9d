-- an endless loop
function validate(case)
  while true do end
end
