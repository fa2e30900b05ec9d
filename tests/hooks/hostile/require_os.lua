-- reaching the real os library
local os = require("os")
function validate(case) return {} end
