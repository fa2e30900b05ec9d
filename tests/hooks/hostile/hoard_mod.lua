-- a module that keeps what it is given in a local of its own
local kept = {}
local M = {}
function M.keep(id) kept[#kept + 1] = id; return #kept end
function M.count() return #kept end
return M
