-- 丙's hook (hooked.rules): fails once 说明 is there.
function validate(case)
  if case.materials.x then error("丙's check of 说明 failed") end
end
