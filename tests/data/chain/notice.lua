-- 戊's hook (notice.rules): a check that depends on the day, as one on an
-- age or on a term does -- from 2019-09-10 on the name is too old.
function validate(case)
  if case.now >= "2019-09-10" then
    return { { field = "name", message = "名称须于2019-09-10前重新核准 the name must be confirmed again" } }
  end
end
