-- a module beside the hooks that counts in a global of its own
n = 0
local M = {}
function M.bump()
  n = n + 1
  return n
end
return M
