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

-- Blanks at both ends, ASCII ones and the full-width space U+3000 (a
-- pattern class cannot hold a multi-byte character).  One pass from each
-- end, each run of ASCII blanks skipped by an anchored match: linear in
-- the text, however many blanks an applicant typed.
local wide = "\u{3000}"
local wide_reversed = wide:reverse()

local function past_blanks(s, i, w)
  repeat
    local from = i
    i = s:match("^%s*()", i)
    if s:sub(i, i + #w - 1) == w then i = i + #w end
  until i == from
  return i
end

function M.trim(s)
  if type(s) ~= "string" then return s end
  local i = past_blanks(s, 1, wide)
  if i > #s then return "" end
  local j = #s + 1 - past_blanks(s:reverse(), 1, wide_reversed)
  return s:sub(i, j)
end

function M.contains(s, part)
  return type(s) == "string" and type(part) == "string" and s:find(part, 1, true) ~= nil
end

function M.starts(s, prefix)
  return type(s) == "string" and type(prefix) == "string" and s:sub(1, #prefix) == prefix
end

return M
