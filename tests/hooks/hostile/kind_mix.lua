-- a hook function whose result is not what the condition compares it with
function f() return "x" end
