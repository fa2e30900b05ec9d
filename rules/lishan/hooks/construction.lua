-- 工程建设项目审批申请表(一表申请, form construction_project)的钩子,
-- 施工许可、特殊建设工程消防设计审查、竣工联合验收共用。
--
--   lua.special_by_height  按建筑高度即可认定的特殊建设工程(材料条件中使用);
--   validate               消防设计审查只受理特殊建设工程;
--                          施工许可须已确定施工企业, 且施工单位须为企业。
local creditcode = require("creditcode")
local decimal = require("decimal")

-- 《建设工程消防设计审查验收管理暂行规定》(住房和城乡建设部令第51号)第十四条,
-- 按建筑高度即可认定的特殊建设工程:
--   (七)  国家工程建设消防技术标准规定的一类高层住宅建筑, 即建筑高度大于54米的
--         住宅建筑(《建筑设计防火规范》GB 50016-2014 第5.1.1条);
--   (十二) 建筑高度超过五十米的公共建筑。
-- 第十四条其他各项按场所用途和面积认定, 由建设单位在表单 special_fire 中申报。
function special_by_height(kind, height)
  if not height then return false end
  if kind == "residential" then return decimal.cmp(height, 54) > 0 end
  if kind == "public_building" then return decimal.cmp(height, 50) > 0 end
  return false
end

-- 统一社会信用代码(GB 32100)登记管理部门和机构类别的中文名称。
local kinds = {
  enterprise = "企业", ["individual business"] = "个体工商户", cooperative = "农民专业合作社",
  organisation = "机关、事业单位", ["civil affairs"] = "社会组织", other = "其他组织",
}

local checks = {}

-- 特殊建设工程以外的其他建设工程, 消防设计随施工图审查, 竣工后实行备案抽查
-- (令第51号第五章), 不单独办理消防设计审查。
function checks.fire_design_review(f)
  if not f.special_fire and not special_by_height(f.project_kind, f.building_height) then
    return { field = "special_fire", message = "消防设计审查只受理特殊建设工程(住建部令第51号" ..
      "第十四条), 其他建设工程的消防设计随施工图审查 only special construction projects " ..
      "are reviewed here; other designs are checked with the construction drawings" }
  end
end

-- 《建筑工程施工许可管理办法》第四条: 申请领取施工许可证, 应当已经确定施工企业;
-- 施工单位须为依法登记的企业(统一社会信用代码首位9、第二位1), 个体工商户、
-- 机关事业单位、社会组织等不能作为施工企业。
function checks.construction_permit(f)
  local code = f.contractor_code
  if not code then
    return { field = "contractor_code", message = "申请施工许可须已确定施工企业, 请填写施工单位" ..
      "统一社会信用代码 the contractor must be chosen before the permit: give its credit code" }
  end
  local kind = creditcode.valid(code) and creditcode.kind(code)
  if kind and kind ~= "enterprise" then
    return { field = "contractor_code", message = ("施工单位须为企业, 该代码登记为%s the " ..
      "contractor must be an enterprise; this code is registered as %s")
      :format(kinds[kind] or kind, kind) }
  end
end

-- The versions of an item in force before a change of the law (in_force,
-- replaces) are checked as the item: the conditions did not change with the
-- limits.  建筑法 2019: 7 days instead of 15; 消防设计审查 before 令第51号:
-- the 2019 消防法 already left only 特殊建设工程 to a separate review.
checks.construction_permit_2018 = checks.construction_permit
checks.fire_design_review_2019 = checks.fire_design_review

function validate(case)
  local check = checks[case.item]
  local e = check and check(case.form)
  return { e }
end
