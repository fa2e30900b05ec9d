-- 居民社会事务申请表(一表通用, form resident_affairs)的钩子。
-- 使用该表的街道受理类事项(低保、特困、临时救助、残疾人两项补贴、残疾人证、
-- 高龄津贴、公租房)共用本文件:
--
--   derive    表中两项由系统计算, 不由申请人填写:
--             age               申请人年龄 = 公民身份号码中的出生日期算至申请之日的周岁;
--             per_capita_income 家庭月人均收入 = 家庭月总收入 ÷ 共同生活家庭成员人数,
--                               精确十进制计算, 分以下舍去。
--   validate  所有事项: 提交人不是申请人本人的, 须选择"委托他人代办"
--             (并由此须提交授权委托书和代办人身份证, 见各事项 materials);
--             各事项的申请条件见下方 eligibility 表。
--
-- 提交人身份证号仅用于与申请人比对, 各事项以 `needs applicant_id` 声明。
local idcard = require("idcard")
local decimal = require("decimal")

-- 本区城市居民最低生活保障标准(元/人·月)。以鞍山市人民政府公布的现行标准为准;
-- 此处数值为配置占位(与事项编码一样), 上线前与区民政局核对, 标准调整时只改这一行。
local SUBSISTENCE_LINE = "700"

-- 非负金额舍去分以下, 结果为十进制文本("925"、"699.99")。舍去而不四舍五入:
-- 标准以分计, 舍去后的人均收入低于标准, 当且仅当精确的人均收入低于标准
-- (人均 699.996667 元记作 699.99 元, 低于 700 元; 四舍五入成 700 元就错了)。
local function cents(x)
  local whole, frac = x:match("^(%d+)%.?(%d*)$")
  return decimal.of(whole .. "." .. (frac .. "00"):sub(1, 2))
end

function derive(case)
  local f = case.form
  local out = { age = idcard.age(f.id_no, case.now) }
  if f.household_income and f.household_size and f.household_size > 0 then
    out.per_capita_income = cents(decimal.div(f.household_income, f.household_size))
  end
  return out
end

local eligibility = {}

-- 《社会救助暂行办法》第九条: 共同生活的家庭成员人均收入低于当地最低生活保障标准
-- 的家庭, 给予最低生活保障。申请时只须申报家庭月总收入: 是否低于标准是受理后
-- 经入户调查和家庭经济状况核对才能认定的条件, 不是受理条件; 不低于标准的, 由
-- 审核确认环节书面作出不予确认的决定并说明理由(act … deny "理由"), 而不是在
-- 申请时拒收。人均收入由 derive 算出; 进入区民政局审核时, on_enter 在案卷中
-- 记下它与标准的比较, 供审核人员作出决定。
function eligibility.minimum_living(f, add)
  if not f.household_income then
    add("household_income", "申请最低生活保障须申报共同生活家庭成员月总收入 " ..
      "the monthly income of the household is required")
  end
end

-- 低保审核: the review is told how the per-capita income compares with the line.
local function subsistence_note(f)
  local pc = f.per_capita_income
  if not pc then return nil end
  local below = decimal.cmp(pc, SUBSISTENCE_LINE) < 0
  return ("家庭月人均收入%s元, %s本区城市低保标准%s元%s the income per person (%s yuan) " ..
    "is %s the subsistence line (%s yuan)"):format(decimal.of(pc), below and "低于" or "不低于",
    SUBSISTENCE_LINE, below and "" or "; 核对属实的, 书面作出不予确认决定并说明理由",
    decimal.of(pc), below and "below" or "not below", SUBSISTENCE_LINE)
end

function on_enter(case, step)
  if case.item == "minimum_living" and step == "district_review" then
    return subsistence_note(case.form)
  end
end

-- 《社会救助暂行办法》第十四条: 特困人员供养对象为无劳动能力……的老年人、残疾人
-- 以及未满16周岁的未成年人; 《特困人员认定办法》第七条: 60周岁以上的老年人、
-- 未满16周岁的未成年人、符合等级条件的残疾人为无劳动能力。16至59周岁且无残疾的,
-- 不符合条件(残疾类别和等级由街道评估时核实)。
function eligibility.destitute_support(f, add)
  if f.age and f.age >= 16 and f.age < 60 and not f.applicant_disabled then
    add("applicant_disabled", ("申请人%d周岁且无持证残疾, 不属于无劳动能力(须60周岁以上、未满16周岁" ..
      "或为残疾人) the applicant is %d and not disabled: support is for people aged 60 or " ..
      "over, under 16 or disabled"):format(f.age, f.age))
  end
end

-- 《老年人权益保障法》第三十三条; 辽宁省高龄津贴制度: 年满80周岁的本地户籍老年人
-- 按月领取高龄津贴。周岁以公民身份号码中的出生日期算至申请之日, 生日当天满周岁。
function eligibility.old_age_allowance(f, add)
  if f.age and f.age < 80 then
    add("id_no", ("申请人%d周岁, 未满80周岁, 不符合高龄津贴申领条件 the applicant is %d: " ..
      "the allowance is for people aged 80 or over"):format(f.age, f.age))
  end
end

function validate(case)
  local f, errors = case.form, {}
  local function add(field, message)
    errors[#errors + 1] = { field = field, message = message }
  end
  local by = case.applicant.id
  if by and f.id_no and by:upper() ~= f.id_no:upper() and not f.by_agent then
    add("by_agent", "提交人不是申请人本人, 请选择委托他人代办并提交授权委托书 the application " ..
      "is filed by someone else: choose by_agent and add the power of attorney")
  end
  -- the members listed (家庭成员, one row each) and the household's size agree
  if type(f.members) == "table" and #f.members > 0 and f.household_size
      and #f.members + 1 ~= f.household_size then
    add("members", ("共同生活家庭成员人数为%d, 但列出了申请人以外的%d名成员 the household has " ..
      "%d members, but %d besides the applicant are listed"):format(f.household_size, #f.members,
      f.household_size, #f.members))
  end
  local check = eligibility[case.item]
  if check then check(f, add) end
  return errors
end
