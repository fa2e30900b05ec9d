-- defines neither derive, route nor is_high
function validate(case) end
