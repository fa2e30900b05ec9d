-- a long replacement walked at every match, producing nothing
function validate(case)
  return { ("a"):rep(200):gsub("(x?)", ("%1"):rep(500000)) }
end
