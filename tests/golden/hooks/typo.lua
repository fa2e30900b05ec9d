-- a misspelt module name
local decimal = require("decimals")
function derive(case) return { age = 1 } end
