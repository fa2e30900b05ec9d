-- an error that quotes the applicant's ID number: the operator sees it masked
function validate(case)
  error("no record for ID" .. case.applicant.id)
end
