-- Test vectors for stdlib/lua/decimal.lua (docs/hooks.md §15.4): every
-- failure becomes a form error.  Each case: a call, and the text it gives
-- or the error it raises.
local decimal = require("decimal")

-- the result, or "error: MESSAGE" (without where in decimal.lua)
local function try(f, ...)
  local ok, v = pcall(f, ...)
  return ok and v or "error: " .. tostring(v):gsub("^stdlib/lua/decimal%.lua:%d+: ", "")
end

local OVERFLOW = "error: decimal overflow"
local DIV = "error: decimal division by zero or overflow"

local function bad(n, fn)
  return "error: bad argument #" .. n .. " to '" .. fn .. "' (a decimal number of at most 18 digits)"
end

local cases = {
  -- quotients of numbers that fit, whatever their size (128 bits)
  { try(decimal.div, "1000000000", "7.1234"), "140382401.662128" },
  { try(decimal.div, "920000000", "7.1234"), "129151809.529157" },
  { try(decimal.div, "10000000000000", "1"), "10000000000000" },
  { try(decimal.div, "9300000000000", "2"), "4650000000000" },
  { try(decimal.div, "1", "0.0000000001"), "10000000000" },
  { try(decimal.div, "1.0000000000001", "1.0000000000001"), "1" },
  { try(decimal.div, "123.4567891234", "41.1234567891"), "3.002101" },
  { try(decimal.div, "10000000000000000", "1.00000000000000001"), "9999999999999999.9" },
  { try(decimal.div, "50000000000000", "7.1234"), "7019120083106.38178" },
  { try(decimal.div, "100000000000000000", "0.1"), DIV },
  { try(decimal.div, "1", "0"), DIV },
  -- 6 places, whatever the arguments' places
  { try(decimal.div, "1", "3"), "0.333333" },
  { try(decimal.div, "1", "3.0000000"), "0.333333" },
  { try(decimal.div, "0.12345678", "1"), "0.123457" },
  { try(decimal.div, "-2", "3"), "-0.666667" },
  -- products: exact, or an error
  { try(decimal.mul, "0.123456789012", "0.123456789012"), OVERFLOW },
  { try(decimal.mul, "0.1234567891", "0.1234567891"), OVERFLOW },
  { try(decimal.mul, "0.0000000001", "0.0000000001"), OVERFLOW },
  { try(decimal.mul, "0.000000001", "0.000000001"), "0.000000000000000001" },
  { try(decimal.mul, "0.1000000000", "0.1000000000"), "0.01" },
  { try(decimal.mul, "999999999", "999999999"), "999999998000000001" },
  { try(decimal.mul, "1000000000", "1000000000"), OVERFLOW },
  -- at most 18 digits, in and out
  { try(decimal.add, "900000000000000000", "900000000000000000"), OVERFLOW },
  { try(decimal.add, "999999999999999998", "1"), "999999999999999999" },
  { try(decimal.of, "999999999999999999"), "999999999999999999" },
  { try(decimal.of, "1000000000000000000"), bad(1, "dec_of") },
  { try(decimal.of, math.mininteger), bad(1, "dec_of") },
  { try(decimal.of, math.maxinteger), bad(1, "dec_of") },
  { try(decimal.of, 999999999999999999), "999999999999999999" },
  { try(decimal.of, -999999999999999999), "-999999999999999999" },
  { try(decimal.add, 1000000000000000000, 1), bad(2, "dec_op") },
  -- floats at their shortest exact decimal, or an error
  { try(decimal.of, 0.1), "0.1" },
  { try(decimal.of, 1e-18), "0.000000000000000001" },
  { try(decimal.of, 1e-20), bad(1, "dec_of") },
  { try(decimal.cmp, 1e-20, 0), bad(1, "dec_cmp") },
  { try(decimal.of, 1.2345678901234567e-5), bad(1, "dec_of") },
  { try(decimal.of, 1e18), bad(1, "dec_of") },
  { try(decimal.of, 0/0), bad(1, "dec_of") },
  -- text is read whole
  { try(decimal.of, "1\0abc"), bad(1, "dec_of") },
  { try(decimal.add, "1", "2\0"), bad(3, "dec_op") },
  { try(decimal.of, ""), bad(1, "dec_of") },
  -- the engine's private module is not a hook's
  { try(require, "_onetrip"), "error: module '_onetrip' not found (hooks may require the standard library and Lua files beside the hook file)" },
}

function validate(case)
  local errors = {}
  for i, c in ipairs(cases) do
    if c[1] ~= c[2] then
      errors[#errors + 1] = { field = "x", message = "decimal vector " .. i .. ": got " ..
        tostring(c[1]) .. ", wanted " .. tostring(c[2]) }
    end
  end
  return errors
end
