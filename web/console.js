// 坐席工作台. Every string from the server goes into the page as text (textContent / text nodes), never as HTML.

const INTENT_LABELS = {
  lookup: "条款查询",
  calculation: "计算",
  clarify: "需补充信息",
  out_of_scope: "超出协议范围",
};

const state = {
  agent: null, // the signed-in agent's id; null when nobody is (or nobody needs to be) signed in
  signIn: "none", // how this deployment signs agents in: "none" (open console), "key" or "sso"
  sessionId: null,
  clauses: [],
  clauseById: new Map(),
  cardSeq: 0,
  answerCount: 0, // answers this session has received; the newest card rates turn `answerCount`
  busy: false,
};

const $ = (id) => document.getElementById(id);

/** Build an element. `props` sets properties/attributes; children are nodes or strings (strings become text nodes). */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** Text with every occurrence of `needle` wrapped in <mark>, built from text nodes only. */
function highlighted(text, needle, { all = false, caseless = false } = {}) {
  const frag = document.createDocumentFragment();
  const hay = caseless ? text.toLowerCase() : text;
  const pin = caseless ? needle.toLowerCase() : needle;
  if (!needle) {
    frag.append(document.createTextNode(text));
    return frag;
  }
  let from = 0;
  for (;;) {
    const at = hay.indexOf(pin, from);
    if (at < 0) break;
    if (at > from) frag.append(document.createTextNode(text.slice(from, at)));
    frag.append(h("mark", { text: text.slice(at, at + needle.length) }));
    from = at + needle.length;
    if (!all) break;
  }
  if (from < text.length) frag.append(document.createTextNode(text.slice(from)));
  return frag;
}

const PARTS = { M: "主协议", A1: "附件一", A2: "附件二" };

/** The clause's name from the loaded list, else derived: "M-10" + "… › 第十条" → "主协议第十条". */
function clauseName(clauseId, title) {
  const clause = state.clauseById.get(clauseId);
  if (clause) return clause.name;
  const segs = String(title || "").split(" › ");
  const last = (segs[segs.length - 1] || "").split(" ")[0];
  const prefix = PARTS[String(clauseId).split("-")[0]];
  if (!prefix || !last) return last;
  return prefix + (last.startsWith("第") ? last : `第${last}条`);
}

function setSession(id) {
  // A different id is a different conversation, so turn numbering starts again.
  if ((id || null) !== state.sessionId) state.answerCount = 0;
  state.sessionId = id || null;
  $("session-id").textContent = state.sessionId ? state.sessionId.slice(0, 8) : "新会话";
  $("session-id").title = state.sessionId || "";
}

/* ---------- copy ---------- */

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      /* fall through to the legacy path */
    }
  }
  const area = h("textarea", { readonly: true, "aria-hidden": "true", class: "copy-buffer" });
  area.value = text;
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

function answerAsText(answer) {
  const lines = answer.summary ? [answer.summary, answer.answer] : [answer.answer];
  const calc = answer.calculation;
  if (calc && Array.isArray(calc.steps) && calc.steps.length) {
    lines.push("", "计算过程：", ...calc.steps.map((s, i) => `${i + 1}. ${s}`));
  }
  if (answer.citations && answer.citations.length) {
    const refs = answer.citations.map((c) => `${clauseName(c.clause_id, c.title)}（${c.clause_id}）`);
    lines.push("", `依据：${refs.join("、")}`);
  }
  return lines.join("\n");
}

/* ---------- cards ---------- */

function calcTable(calc) {
  const rows = calc.steps.map((step, i) =>
    h("tr", {}, h("th", { scope: "row", text: String(i + 1) }), h("td", { text: step })),
  );
  const result = `${calc.result}${calc.unit ? " " + calc.unit : ""}`;
  return h(
    "table",
    { class: "calc-table" },
    h("caption", { text: "计算过程" }),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "步骤" }), h("th", { scope: "col", text: "说明" }))),
    h("tbody", {}, rows),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row", text: "结果" }), h("td", { class: "calc-result", text: result }))),
  );
}

function citationBlock(citations, cardId) {
  const chips = h("ul", { class: "chips", "aria-label": "引用条款" });
  const panels = h("div", { class: "cite-panels" });
  citations.forEach((c, i) => {
    const panelId = `${cardId}-cite-${i}`;
    const name = clauseName(c.clause_id, c.title);
    const panel = h(
      "section",
      { class: "cite-panel", id: panelId, hidden: true, "aria-label": `${c.clause_id} ${name} 条款全文` },
      h("header", { class: "cite-panel-head" }, h("strong", { text: `${c.clause_id} · ${name}` }), h("span", { class: "cite-title", text: c.title })),
      h("p", { class: "clause-text" }, highlighted(c.text, c.quote)),
    );
    const chip = h(
      "button",
      {
        type: "button",
        class: "chip",
        "aria-expanded": "false",
        "aria-controls": panelId,
        "data-clause-id": c.clause_id,
        onclick: () => {
          const open = chip.getAttribute("aria-expanded") !== "true";
          chip.setAttribute("aria-expanded", String(open));
          panel.hidden = !open;
        },
      },
      h("span", { class: "chip-id", text: c.clause_id }),
      h("span", { class: "chip-name", text: name }),
    );
    chips.append(h("li", {}, chip));
    panels.append(panel);
  });
  return h("div", { class: "citations" }, h("h3", { class: "section-label", text: "依据条款" }), chips, panels);
}

function questionHeader(question) {
  return h("div", { class: "card-q" }, h("span", { class: "card-q-label", text: "客户问" }), h("p", { class: "card-q-text", text: question }));
}

/* ---------- feedback ---------- */

/** 👍/👎 buttons rating one turn of the session; after a successful POST both stay disabled and "已反馈" shows. */
function feedbackBar(sessionId, turn) {
  const status = h("span", { class: "feedback-status", role: "status" });
  const buttons = [];
  const send = async (helpful, chosen) => {
    for (const b of buttons) b.disabled = true;
    status.textContent = "提交中…";
    let ok = false;
    try {
      const res = await fetch("/v1/feedback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ session_id: sessionId, turn, helpful }),
      });
      ok = res.ok;
    } catch {
      ok = false;
    }
    if (ok) {
      chosen.setAttribute("aria-pressed", "true");
      status.textContent = "已反馈";
    } else {
      // Let the agent try again rather than lose the rating.
      for (const b of buttons) b.disabled = false;
      status.textContent = "反馈失败，请重试";
    }
    status.classList.toggle("feedback-failed", !ok);
  };
  for (const [helpful, label, cls] of [
    [true, "👍 有帮助", "feedback-up"],
    [false, "👎 没帮助", "feedback-down"],
  ]) {
    const btn = h("button", { type: "button", class: `btn btn-small feedback-btn ${cls}`, "aria-pressed": "false" }, label);
    btn.addEventListener("click", () => send(helpful, btn));
    buttons.push(btn);
  }
  return h("div", { class: "feedback", role: "group", "aria-label": "这条答复有帮助吗" }, ...buttons, status);
}

function answerCard(question, answer, turn) {
  const cardId = `card-${++state.cardSeq}`;
  const intent = INTENT_LABELS[answer.intent] ? answer.intent : "lookup";
  const copyBtn = h("button", { type: "button", class: "btn btn-small copy-btn", "aria-label": "复制答复内容" }, "复制答复");
  copyBtn.addEventListener("click", async () => {
    const ok = await copyText(answerAsText(answer));
    copyBtn.textContent = ok ? "已复制" : "复制失败";
    copyBtn.classList.toggle("copied", ok);
    setTimeout(() => {
      copyBtn.textContent = "复制答复";
      copyBtn.classList.remove("copied");
    }, 1600);
  });
  const body = h(
    "div",
    { class: "card-body" },
    h("div", { class: "card-meta" }, h("span", { class: `badge badge-${intent}`, text: INTENT_LABELS[intent] }), copyBtn),
  );
  // The server could not continue the conversation (expired, or not this agent's): say a new one began.
  if (answer.session_notice) body.append(h("p", { class: "session-notice", role: "status", text: answer.session_notice }));
  // The answer first: the asked fact in one line above the quote.
  if (answer.summary) body.append(h("p", { class: "answer-summary", text: answer.summary }));
  body.append(h("p", { class: "answer-text", text: answer.answer }));
  if (Array.isArray(answer.options) && answer.options.length) body.append(optionButtons(answer.options));
  const calc = answer.calculation;
  if (calc && Array.isArray(calc.steps) && calc.steps.length) body.append(calcTable(calc));
  if (answer.citations && answer.citations.length) body.append(citationBlock(answer.citations, cardId));
  if (state.sessionId && turn > 0) body.append(feedbackBar(state.sessionId, turn));
  return h("article", { class: `card card-${intent}`, id: cardId, "aria-label": "助手答复" }, questionHeader(question), body);
}

function optionButtons(options) {
  // Each option is a question the assistant answers as it stands: choosing it asks it.
  const buttons = options.map((o) => {
    const btn = h("button", { type: "button", class: "btn btn-option", text: o.label, title: o.question });
    btn.addEventListener("click", () => {
      if (!state.busy) ask(o.question);
    });
    return btn;
  });
  return h("div", { class: "options", role: "group", "aria-label": "请选择您要问的是哪一种" }, ...buttons);
}

function errorCard(question, message) {
  return h(
    "article",
    { class: "card card-error", "aria-label": "请求失败" },
    questionHeader(question),
    h("div", { class: "card-body" }, h("p", { class: "error-text", role: "alert", text: message })),
  );
}

function pendingCard(question) {
  return h(
    "article",
    { class: "card card-pending", "aria-busy": "true" },
    questionHeader(question),
    h("div", { class: "card-body" }, h("p", { class: "pending-text" }, h("span", { class: "spinner", "aria-hidden": "true" }), "正在检索协议条款…")),
  );
}

/* ---------- asking ---------- */

async function errorMessage(res) {
  try {
    const body = await res.json();
    if (body && body.error && body.error.message) return `请求未成功（${res.status}）：${body.error.message}`;
  } catch {
    /* not JSON */
  }
  return `请求未成功（HTTP ${res.status}），请稍后再试。`;
}

async function ask(question) {
  const history = $("history");
  $("empty-state").hidden = true;
  const pending = pendingCard(question);
  history.append(pending);
  pending.scrollIntoView({ block: "end", behavior: "smooth" });
  setBusy(true);
  let card;
  try {
    const res = await fetch("/v1/ask", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question, session_id: state.sessionId, channel: "agent" }),
    });
    if (res.status === 401 && state.signIn !== "none") {
      // The sign-in ran out (or the key was changed): ask again, keep nothing of the answer that never came.
      card = errorCard(question, "登录已失效，请重新登录后再提问。");
      showSignIn("登录已失效，请重新登录。");
    } else if (!res.ok) {
      card = errorCard(question, await errorMessage(res));
    } else {
      const answer = await res.json();
      setSession(answer.session_id);
      state.answerCount += 1;
      // The server's own turn number wins when it sends one; the count matches it for a live session.
      const turn = Number.isInteger(answer.turn) && answer.turn > 0 ? answer.turn : state.answerCount;
      card = answerCard(question, answer, turn);
    }
  } catch {
    card = errorCard(question, "无法连接助手服务，请检查网络后重试。");
  } finally {
    setBusy(false);
  }
  pending.replaceWith(card);
  card.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy;
  $("send").textContent = busy ? "发送中…" : "发送";
  $("ask-form").setAttribute("aria-busy", String(busy));
}

function submitQuestion() {
  const box = $("question");
  const question = box.value.trim();
  if (!question || state.busy) return;
  box.value = "";
  ask(question);
  box.focus();
}

function newConversation() {
  setSession(null);
  const history = $("history");
  for (const card of history.querySelectorAll(".card")) card.remove();
  $("empty-state").hidden = false;
  $("question").value = "";
  $("question").focus();
}

/* ---------- clause browser ---------- */

function renderClauses(query) {
  const list = $("clause-list");
  const q = query.trim().toLowerCase();
  const matches = q
    ? state.clauses.filter((c) => [c.id, c.name, c.title, c.text].some((s) => String(s).toLowerCase().includes(q)))
    : state.clauses;
  const items = matches.map((c) =>
    h(
      "li",
      { class: "clause-item", "data-clause-id": c.id },
      h(
        "details",
        {},
        h("summary", {}, h("span", { class: "clause-id", text: c.id }), h("span", { class: "clause-name", text: c.name })),
        h("p", { class: "clause-path", text: c.title }),
        h("p", { class: "clause-text" }, highlighted(c.text, query.trim(), { all: true, caseless: true })),
      ),
    ),
  );
  list.replaceChildren(...items);
  $("clause-count").textContent = q ? `找到 ${matches.length} 条（共 ${state.clauses.length} 条）` : `共 ${state.clauses.length} 条`;
}

async function loadClauses() {
  try {
    const res = await fetch("/v1/clauses");
    if (!res.ok) throw new Error(String(res.status));
    state.clauses = await res.json();
    state.clauseById = new Map(state.clauses.map((c) => [c.id, c]));
    renderClauses($("clause-search").value);
  } catch {
    $("clause-count").textContent = "条款加载失败，请刷新页面重试。";
  }
}

/* ---------- signing in ---------- */

/** Who is signed in, and how this deployment signs agents in; an open console when the server cannot say. */
async function whoAmI() {
  try {
    const res = await fetch("/v1/agents/me", { credentials: "same-origin" });
    if (res.ok) return await res.json();
  } catch {
    /* fall through */
  }
  return { agent: null, sign_in: "none" };
}

function showSignIn(message = "") {
  state.agent = null;
  $("console").hidden = true;
  $("agent").hidden = true;
  $("sign-out").hidden = true;
  $("session").hidden = true;
  $("new-chat").hidden = true;
  $("sign-in").hidden = false;
  // Behind the company's single sign-on there is no key to type: the proxy names the agent.
  $("sign-in-form").hidden = state.signIn !== "key";
  $("sso-note").hidden = state.signIn !== "sso";
  $("sign-in-error").textContent = message;
  if (state.signIn === "key") $("agent-key").focus();
}

function showConsole(agent) {
  state.agent = agent || null;
  $("sign-in").hidden = true;
  $("console").hidden = false;
  $("session").hidden = false;
  $("new-chat").hidden = false;
  $("agent").hidden = !state.agent;
  $("agent-id").textContent = state.agent || "";
  $("sign-out").hidden = !(state.agent && state.signIn === "key");
  $("question").focus();
}

async function submitSignIn() {
  const box = $("agent-key");
  const key = box.value;
  if (!key) {
    $("sign-in-error").textContent = "请输入坐席密钥。";
    box.focus();
    return;
  }
  $("sign-in-submit").disabled = true;
  let message = "";
  try {
    const res = await fetch("/v1/agents/sign-in", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key }),
    });
    if (res.ok) {
      const me = await res.json();
      box.value = "";
      newConversation();
      showConsole(me.agent);
    } else {
      message = res.status === 401 ? "密钥不正确，请重试。" : await errorMessage(res);
    }
  } catch {
    message = "无法连接助手服务，请检查网络后重试。";
  } finally {
    $("sign-in-submit").disabled = false;
  }
  if (message) {
    $("sign-in-error").textContent = message;
    box.select();
  }
}

async function signOut() {
  try {
    await fetch("/v1/agents/sign-out", { method: "POST", credentials: "same-origin" });
  } catch {
    /* the cookie may outlive this page; the server still checks it */
  }
  newConversation();
  showSignIn();
}

/* ---------- wiring ---------- */

async function init() {
  const box = $("question");
  $("ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submitQuestion();
  });
  box.addEventListener("keydown", (e) => {
    // Enter sends; Shift+Enter is a newline; Enter that confirms an IME composition does nothing.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submitQuestion();
    }
  });
  $("new-chat").addEventListener("click", newConversation);
  for (const btn of document.querySelectorAll(".suggestion")) {
    btn.addEventListener("click", () => {
      box.value = btn.textContent;
      submitQuestion();
    });
  }
  let timer;
  $("clause-search").addEventListener("input", (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => renderClauses(e.target.value), 120);
  });
  $("sign-in-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submitSignIn();
  });
  $("sign-out").addEventListener("click", signOut);
  loadClauses();
  const me = await whoAmI();
  state.signIn = me.sign_in;
  if (me.sign_in !== "none" && !me.agent) showSignIn();
  else showConsole(me.agent);
}

init();
