-- uses the module beside it, and still lacks derive
local helper = require("helper")
function is_high(h) return h > helper.limit() end
