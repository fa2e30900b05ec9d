-- 义务教育阶段新生入学报名(item compulsory_enrollment)的钩子。
--
--   derive    出生日期(birth_date)由儿童公民身份号码得出, 家长不再填写;
--   validate  报名小学一年级的, 须在入学当年8月31日前(含)年满6周岁。
--
-- 《中华人民共和国义务教育法》第十一条: 凡年满六周岁的儿童, 其父母或者其他法定
-- 监护人应当送其入学接受并完成义务教育。年龄计算截止日按本市义务教育招生入学
-- 工作通知, 为入学当年的8月31日(报名当年秋季入学)。初中一年级按小学毕业升学,
-- 不设年龄条件。
local idcard = require("idcard")

function derive(case)
  return { birth_date = idcard.birth(case.form.child_id) }
end

function validate(case)
  local f = case.form
  if f.entry_grade ~= "primary_first" or not f.birth_date then return nil end
  local cutoff = case.now:sub(1, 4) .. "-08-31"
  if idcard.age(f.child_id, cutoff) < 6 then   -- 周岁, 生日当天满
    return { { field = "child_id", message = ("儿童%s出生, 至%s未满6周岁, 应于下一学年报名 " ..
      "the child (born %s) is not 6 by %s: apply next year")
      :format(f.birth_date, cutoff, f.birth_date, cutoff) } }
  end
end
