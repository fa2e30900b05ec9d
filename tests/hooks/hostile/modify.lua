-- changing the case
function validate(case)
  case.status = "approved"
end
