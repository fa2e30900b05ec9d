// Shared by the two pages: calling the service and showing its answers.
"use strict";
const ot = {
  token: null,
  async call(method, path, body) {
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ot.token) headers["Authorization"] = "Bearer " + ot.token;
    let r;
    try {
      r = await fetch(path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) {
      return {ok: false, status: 0, json: {title: "无法连接服务", detail: String(e)}};
    }
    let json = null;
    try { json = await r.json(); } catch (e) { json = null; }
    return {ok: r.ok, status: r.status, json};
  },
  showError(el, r) {
    const p = r.json || {};
    el.textContent = (p.title || ("HTTP " + r.status)) + (p.detail ? ":" + p.detail : "");
    el.dataset.status = r.status;
    el.hidden = false;
  },
  text(id, v) { document.getElementById(id).textContent = v; },
  row(cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c instanceof Node) td.appendChild(c); else td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  },
  statusName(s) {
    return {needs_supplement: "待补正", in_progress: "办理中", returned: "退回", suspended: "暂停计时",
            approved: "已办结(准予)", denied: "已办结(不予)", closed: "已送达", withdrawn: "已撤回",
            received: "待受理", refused: "不予受理", checking: "承诺核查中", revoked: "已撤销",
            not_opened: "未开始", not_required: "无需办理"}[s] || s;
  },
  stepName(s) { return {waiting: "未开始", active: "办理中", done: "已完成", stopped: "已终止"}[s] || s; },
  opName(s) {
    return {submit: "提交申请", supplement: "补正材料", act: "环节办理", suspend: "暂停", resume: "恢复",
            deliver: "送达", withdraw: "撤回", approve: "通过", return: "退回", deny: "不予许可",
            warn: "时限预警", yellow: "黄牌", red: "红牌", item: "事项进展"}[s] || s;
  },
  // the time sweep's warning (电子监察 预警) in words: 黄牌 or 红牌, what, the
  // day; a step named in `steps` (its name -> its label) by its label
  warning(w, steps) {
    const what = (w.step && steps && steps[w.step]) || w.step || w.material || w.procedure ||
      {case: "办结时限", legal: "法定时限", acceptance: "受理", pledge_check: "承诺核查"}[w.target] || w.target;
    // a step's legal limit beside its promise: the card says which
    const which = w.target === "step_legal" ? "(法定时限)" : "";
    return ot.opName(w.level) + " " + what + which + (w.due ? " " + w.due : "");
  },
  // ... and as a card
  card(w) {
    const span = document.createElement("span");
    span.className = "card " + w.level;
    span.textContent = ot.warning(w);
    return span;
  },
};
