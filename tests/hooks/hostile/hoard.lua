-- stores the applicant's ID in every place a hook can reach, and reports
-- how many IDs each place holds: 1 each time, or a case saw another's
local mod = require("hoard_mod")
local idcard = require("idcard")
-- the standard modules are shared by every case of the hook file, as the
-- libraries are: each one is tried as idcard is (their private module,
-- _onetrip, is not a hook's to require: tests/hooks/stdlib/decimals.lua)
local std = { require("creditcode"), require("decimal"), require("text"),
              require("workdays") }
local upvalue = {}
seen = {}

local function try(f) pcall(f) end

function validate(case)
  local id = case.applicant.id
  upvalue[#upvalue + 1] = id
  seen[#seen + 1] = id
  mod.keep(id)
  try(function() string.hoard = id end)
  try(function() local _, s = pairs(string); s.hoard = id end)
  try(function() getmetatable("").__index.hoard = id end)
  try(function() idcard.hoard = id end)
  try(function() local _, s = pairs(idcard); s.hoard = id end)
  for _, m in ipairs(std) do
    try(function() m.hoard = id end)
    try(function() m.valid = nil end)
    try(function() local _, t = pairs(m); t.hoard = id end)
    try(function() getmetatable(m).__index.hoard = id end)
  end
  try(function() _ENV.hoard = id end)
  try(function() rawset(_ENV, "hoard", id) end)
  try(function() os.hoard = id end)
  local leaked = (string.hoard or "") .. (idcard.hoard or "") .. (os.hoard or "") ..
                 (std[1].hoard or "") .. (std[2].hoard or "") .. (std[3].hoard or "") ..
                 (std[4].hoard or "") ..
                 (std[1].valid and "" or "creditcode.valid gone") ..
                 (rawget and "rawget" or "") .. tostring(hoard or "")
  return { { material = "m", message = "upvalue " .. #upvalue .. " global " .. #seen ..
             " module " .. mod.count() .. " upper " .. ("abc"):upper() ..
             " leaked [" .. leaked .. "] id " .. id } }
end
