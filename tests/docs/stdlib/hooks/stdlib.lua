-- Each call of the example (hooks/results.lua) against the values it
-- shows: a form error for each call that gives others.
local run = require("results")

local function shown(values)
  local out = {}
  for i = 1, values.n do
    out[i] = type(values[i]) == "string" and string.format("%q", values[i]) or tostring(values[i])
  end
  return table.concat(out, ", ")
end

function validate(case)
  local wrong = {}
  run(case, function(line, got, want)
    for i = 1, math.max(got.n, want.n) do
      if got[i] ~= want[i] then
        wrong[#wrong + 1] = { field = "call", message = line .. "  gives " .. shown(got) }
        return
      end
    end
  end)
  return wrong
end
