-- a derived value outside what the form allows
function derive(case) return { age = 200 } end
