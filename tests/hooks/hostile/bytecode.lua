-- loading bytecode
function validate(case)
  local code = string.dump(function() end)
  return load(code)()
end
