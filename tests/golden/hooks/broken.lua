function derive(case)
  return { age = 1 
end
