-- a module beside the hook files
local M = {}
function M.limit() return 24 end
return M
