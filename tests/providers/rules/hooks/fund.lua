-- 公积金信息平台: the department's exchange platform, reached through this
-- module.  Here the platform is a table; a real one would be a gateway the
-- host exposes.  fetch(request) -> {number=...} | nil, "reason".
local accounts = {
  ["11010519491231002X"] = { number = "GJJ-2019-000123" },
  ["210304198807210031"] = { number = "GJJ-2012-004567", valid_until = "2019-06-30" },
}

function fetch(request)
  if request.applicant.id == "210304193602180040" then
    error("platform answered 503")
  end
  if request.applicant.id == "110105198001010016" then
    -- a reason longer than the notice keeps: cut on a character, never inside one
    return nil, "x" .. ("没有缴存记录"):rep(20)
  end
  if request.applicant.id == "110105193001010013" then
    while true do end -- a provider that hangs is stopped by the budget
  end
  local a = accounts[request.applicant.id]
  if not a then
    return nil, "公积金信息平台没有该申请人的缴存记录 no contributions on record"
  end
  return a
end
