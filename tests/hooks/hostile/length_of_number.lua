-- len() of a number from a hook
function g() return 12 end
