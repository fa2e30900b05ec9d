-- text: UTF-8 aware helpers for Chinese text.
--
--   local text = require("text")
--   text.len("立山区")                 --> 3   (characters, not bytes)
--   text.trim("  曙光街道 ")           --> "曙光街道"   (also full-width spaces)
--   text.contains("立山区行政审批局", "审批")  --> true
--   text.starts("鞍山市立山区", "鞍山")  --> true
local M = {}

function M.len(s)
  if type(s) ~= "string" then return 0 end
  return utf8.len(s) or #s
end

-- Blanks at both ends, ASCII ones and the full-width space U+3000.  A
-- pattern class cannot hold a multi-byte character, so each U+3000 is
-- read as three spaces, which keeps every index: two anchored matches,
-- linear in the text however its blanks are mixed.
local wide = "\u{3000}"

function M.trim(s)
  if type(s) ~= "string" then return s end
  local t = s:gsub(wide, "   ")
  local i = t:match("^%s*()")
  local j = #t - (t:reverse():match("^%s*()") - 1)
  return s:sub(i, j)
end

function M.contains(s, part)
  return type(s) == "string" and type(part) == "string" and s:find(part, 1, true) ~= nil
end

function M.starts(s, prefix)
  return type(s) == "string" and type(prefix) == "string" and s:sub(1, #prefix) == prefix
end

return M
