-- stopping the collector
function validate(case)
  collectgarbage("stop")
end
