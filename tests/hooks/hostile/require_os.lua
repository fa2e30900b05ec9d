-- loading the os library by another road (inside the function: at the top
-- of the file, onetrip check already refuses it)
function validate(case)
  local os = require("os")
  os.execute("touch /tmp/onetrip-pwned")
end
