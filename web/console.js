// 坐席工作台. Every string from the server goes into the page as text (textContent / text nodes), never as HTML.

const INTENT_LABELS = {
  lookup: "条款查询",
  calculation: "计算",
  clarify: "需补充信息",
  out_of_scope: "超出协议范围",
};

const STORE_KEY = "cu-console:conversation";

const state = {
  meta: null, // GET /v1/meta: hotlines, the question length limit, clause names and topics
  entries: [], // the conversation as shown: {question, answer, turn} or {question, error}; kept in sessionStorage
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

/** Every occurrence of each needle in `text` wrapped in <mark> (longest needle first where two overlap). */
function highlightedAll(text, needles) {
  const frag = document.createDocumentFragment();
  const pins = [...new Set(needles.filter(Boolean))].sort((a, b) => b.length - a.length);
  const hay = text.toLowerCase();
  let from = 0;
  while (pins.length) {
    let at = -1;
    let len = 0;
    for (const pin of pins) {
      const i = hay.indexOf(pin.toLowerCase(), from);
      if (i >= 0 && (at < 0 || i < at)) {
        at = i;
        len = pin.length;
      }
    }
    if (at < 0) break;
    if (at > from) frag.append(document.createTextNode(text.slice(from, at)));
    frag.append(h("mark", { text: text.slice(at, at + len) }));
    from = at + len;
  }
  if (from < text.length) frag.append(document.createTextNode(text.slice(from)));
  return frag;
}

/** A quote's passages: the server joins sentences that are not next to each other in the clause with "……". */
function quoteParts(quote) {
  return String(quote || "")
    .split("……")
    .map((p) => p.trim())
    .filter(Boolean);
}

/** The clause's name in words, as the server gives it (GET /v1/clauses, /v1/meta); its id when neither has it. */
function clauseName(clauseId) {
  const clause = state.clauseById.get(clauseId);
  if (clause && clause.name) return clause.name;
  const meta = state.meta && state.meta.clauses.find((c) => c.id === clauseId);
  return meta ? meta.name : String(clauseId);
}

function clauseTopic(clauseId) {
  const meta = state.meta && state.meta.clauses.find((c) => c.id === clauseId);
  return meta ? meta.topic : "";
}

/* ---------- icons (inline SVG: no emoji font needed) ---------- */

const ICONS = {
  up: "M7 10v10H3V10h4zm0 0l4-7.5c1.2 0 2 .9 2 2V9h5.5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7",
  down: "M7 14V4H3v10h4zm0 0l4 7.5c1.2 0 2-.9 2-2V15h5.5a2 2 0 0 0 2-2.3l-1.2-7A2 2 0 0 0 17.3 4H7",
  copy: "M9 9h11v11H9zM5 15H4V4h11v1",
  retry: "M20 12a8 8 0 1 1-2.4-5.7M20 4v5h-5",
  book: "M3 5h6a3 3 0 0 1 3 3v12a2 2 0 0 0-2-2H3zM21 5h-6a3 3 0 0 0-3 3v12a2 2 0 0 1 2-2h7z",
};

function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

/* ---------- the conversation, kept for this tab ---------- */

function save() {
  try {
    const data = { agent: state.agent, sessionId: state.sessionId, answerCount: state.answerCount, entries: state.entries };
    sessionStorage.setItem(STORE_KEY, JSON.stringify(data));
  } catch {
    /* storage full or unavailable: the conversation stays on the page only */
  }
}

function loadSaved() {
  try {
    const data = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
    return data && Array.isArray(data.entries) ? data : null;
  } catch {
    return null;
  }
}

function forget() {
  try {
    sessionStorage.removeItem(STORE_KEY);
  } catch {
    /* nothing kept */
  }
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
    const refs = answer.citations.map((c) => `${clauseName(c.clause_id)}（${c.clause_id}）`);
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

/** The quote as the clause has it: each contiguous passage in 「」, passages that are apart joined by "……". */
function quoteLine(quote) {
  const parts = quoteParts(quote);
  const line = h("p", { class: "cite-quote" });
  parts.forEach((part, i) => {
    if (i) line.append(h("span", { class: "quote-gap", text: "……", title: "中间省略了不相邻的内容" }));
    line.append(h("span", { class: "quote-part", text: `「${part}」` }));
  });
  return line;
}

function citationBlock(citations, cardId) {
  const chips = h("ul", { class: "chips", "aria-label": "引用条款" });
  const panels = h("div", { class: "cite-panels" });
  citations.forEach((c, i) => {
    const panelId = `${cardId}-cite-${i}`;
    const name = clauseName(c.clause_id);
    const openBtn = h(
      "button",
      { type: "button", class: "btn btn-small open-clause", onclick: () => openInBrowser(c.clause_id) },
      icon("book"),
      "在条款浏览中打开",
    );
    const panel = h(
      "section",
      { class: "cite-panel", id: panelId, hidden: true, "aria-label": `${c.clause_id} ${name} 条款全文` },
      h("header", { class: "cite-panel-head" }, h("strong", { text: `${c.clause_id} · ${name}` }), h("span", { class: "cite-title", text: c.title }), openBtn),
      quoteLine(c.quote),
      h("p", { class: "clause-text" }, highlightedAll(String(c.text), quoteParts(c.quote))),
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
  return h("div", { class: "citations" }, h("h4", { class: "section-label", text: "依据条款" }), chips, panels);
}

/** The card's heading is the question, so agents can jump from answer to answer by heading. */
function questionHeader(question, headingId) {
  return h(
    "div",
    { class: "card-q" },
    h("span", { class: "card-q-label", text: "客户问" }),
    h("h3", { class: "card-q-text", id: headingId, text: question }),
  );
}

/* ---------- feedback ---------- */

/** Buttons rating one turn of the session; after a successful POST both stay disabled and "已反馈" shows. */
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
  for (const [helpful, label, cls, ic] of [
    [true, "有帮助", "feedback-up", "up"],
    [false, "没帮助", "feedback-down", "down"],
  ]) {
    const btn = h("button", { type: "button", class: `btn btn-small feedback-btn ${cls}`, "aria-pressed": "false" }, icon(ic), label);
    btn.addEventListener("click", () => send(helpful, btn));
    buttons.push(btn);
  }
  return h("div", { class: "feedback", role: "group", "aria-label": "这条答复有帮助吗" }, ...buttons, status);
}

function copyButton(answer) {
  const label = h("span", { text: "复制答复" });
  const btn = h("button", { type: "button", class: "btn btn-small copy-btn", "aria-label": "复制答复内容" }, icon("copy"), label);
  btn.addEventListener("click", async () => {
    const ok = await copyText(answerAsText(answer));
    label.textContent = ok ? "已复制" : "复制失败";
    btn.classList.toggle("copied", ok);
    setTimeout(() => {
      label.textContent = "复制答复";
      btn.classList.remove("copied");
    }, 1600);
  });
  return btn;
}

function answerCard(question, answer, turn, sessionId) {
  const cardId = `card-${++state.cardSeq}`;
  const intent = INTENT_LABELS[answer.intent] ? answer.intent : "lookup";
  const body = h(
    "div",
    { class: "card-body" },
    h("div", { class: "card-meta" }, h("span", { class: `badge badge-${intent}`, text: INTENT_LABELS[intent] }), copyButton(answer)),
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
  if (sessionId && turn > 0) body.append(feedbackBar(sessionId, turn));
  return h(
    "article",
    { class: `card card-${intent}`, id: cardId, "aria-labelledby": `${cardId}-q` },
    questionHeader(question, `${cardId}-q`),
    body,
  );
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

/** A failed question stays on the page (and in the saved conversation) with a button that asks it again. */
function errorCard(question, message, entry) {
  const cardId = `card-${++state.cardSeq}`;
  const retry = h("button", { type: "button", class: "btn btn-small retry-btn" }, icon("retry"), "重试");
  const card = h(
    "article",
    { class: "card card-error", id: cardId, "aria-labelledby": `${cardId}-q` },
    questionHeader(question, `${cardId}-q`),
    h("div", { class: "card-body" }, h("p", { class: "error-text", role: "alert", text: message }), h("div", {}, retry)),
  );
  retry.addEventListener("click", () => {
    if (state.busy) {
      composerStatus("上一条答复还在生成，请稍候再重试。");
      return;
    }
    ask(question, { replace: card, entry });
  });
  return card;
}

function pendingCard(question) {
  const cardId = `card-${++state.cardSeq}`;
  return h(
    "article",
    { class: "card card-pending", id: cardId, "aria-busy": "true", "aria-labelledby": `${cardId}-q` },
    questionHeader(question, `${cardId}-q`),
    h("div", { class: "card-body" }, h("p", { class: "pending-text" }, h("span", { class: "spinner", "aria-hidden": "true" }), "正在检索协议条款…")),
  );
}

function cardFor(entry) {
  return entry.error ? errorCard(entry.question, entry.error, entry) : answerCard(entry.question, entry.answer, entry.turn, entry.sessionId);
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

/** Ask `question`; `replace` is a failed card (and its saved entry) that a retry stands in for. */
async function ask(question, { replace = null, entry = null } = {}) {
  const history = $("history");
  $("empty-state").hidden = true;
  composerStatus("");
  const pending = pendingCard(question);
  if (replace) replace.replaceWith(pending);
  else history.append(pending);
  pending.scrollIntoView({ block: "end", behavior: "smooth" });
  setBusy(true);
  let result;
  try {
    const res = await fetch("/v1/ask", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question, session_id: state.sessionId, channel: "agent" }),
    });
    if (res.status === 401 && state.signIn !== "none") {
      // The sign-in ran out (or the key was changed): ask again, keep nothing of the answer that never came.
      result = { question, error: "登录已失效，请重新登录后再提问。" };
      showSignIn("登录已失效，请重新登录。");
    } else if (!res.ok) {
      result = { question, error: await errorMessage(res) };
    } else {
      const answer = await res.json();
      setSession(answer.session_id);
      state.answerCount += 1;
      // The server's own turn number wins when it sends one; the count matches it for a live session.
      const turn = Number.isInteger(answer.turn) && answer.turn > 0 ? answer.turn : state.answerCount;
      result = { question, answer, turn, sessionId: state.sessionId };
    }
  } catch {
    result = { question, error: "无法连接助手服务，请检查网络后重试。" };
  } finally {
    setBusy(false);
  }
  const at = entry ? state.entries.indexOf(entry) : -1;
  if (at >= 0) state.entries.splice(at, 1);
  state.entries.push(result);
  save();
  const card = cardFor(result);
  // A retried question's answer comes last, where the agent's next question will follow it.
  pending.remove();
  history.append(card);
  card.scrollIntoView({ block: "nearest", behavior: "smooth" });
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy;
  $("send").textContent = busy ? "发送中…" : "发送";
  $("ask-form").setAttribute("aria-busy", String(busy));
}

/** Say something about the question box (announced: the element is a live region). */
function composerStatus(message) {
  $("composer-status").textContent = message;
}

function submitQuestion() {
  const box = $("question");
  const question = box.value.trim();
  if (!question) return;
  if (state.busy) {
    // Not silently ignored: the question stays in the box and the agent is told why it was not sent.
    composerStatus("上一条答复还在生成，问题已保留在输入框中，答复后再按 Enter 发送。");
    return;
  }
  box.value = "";
  ask(question);
  box.focus();
}

function newConversation() {
  setSession(null);
  state.entries = [];
  forget();
  const history = $("history");
  for (const card of history.querySelectorAll(".card")) card.remove();
  $("empty-state").hidden = false;
  $("question").value = "";
  composerStatus("");
  $("question").focus();
}

/** Continue this tab's saved conversation (after a reload): its session and turns at once, so a question asked
 * while the page loads belongs to it. Returns what was saved, for `showSaved` once the agent is known. */
function adoptSaved() {
  const saved = loadSaved();
  if (!saved) return null;
  state.entries = saved.entries.slice();
  setSession(saved.sessionId);
  state.answerCount = Number.isInteger(saved.answerCount) ? saved.answerCount : 0;
  return { agent: saved.agent || null, entries: saved.entries };
}

/** Show the saved conversation above anything asked meanwhile; drop it if another agent (or nobody) signed in. */
function showSaved(saved, agent) {
  if (!saved) return;
  if (saved.agent !== (agent || null)) {
    newConversation();
    return;
  }
  if (!saved.entries.length) return;
  $("empty-state").hidden = true;
  $("history").prepend(...saved.entries.map(cardFor));
}

/* ---------- keyboard shortcuts ---------- */

async function copyLastAnswer() {
  const last = [...state.entries].reverse().find((e) => e.answer);
  if (!last) {
    composerStatus("还没有可复制的答复。");
    return;
  }
  const ok = await copyText(answerAsText(last.answer));
  composerStatus(ok ? "已复制最近一条答复。" : "复制失败，请使用答复卡片上的复制按钮。");
}

function onShortcut(e) {
  // Alt+Q: the question box; Alt+C: copy the newest answer. By key position, so any keyboard layout works.
  if (!e.altKey || e.ctrlKey || e.metaKey || $("console").hidden) return;
  if (e.code === "KeyQ") {
    e.preventDefault();
    $("question").focus();
  } else if (e.code === "KeyC") {
    e.preventDefault();
    copyLastAnswer();
  }
}

/* ---------- clause browser ---------- */

function clauseItem(c, terms) {
  const topic = clauseTopic(c.id);
  return h(
    "li",
    { class: "clause-item", "data-clause-id": c.id },
    h(
      "details",
      {},
      h(
        "summary",
        {},
        h("span", { class: "clause-id", text: c.id }),
        h("span", { class: "clause-head" }, h("span", { class: "clause-name", text: c.name }), topic ? h("span", { class: "clause-topic", text: topic }) : null),
      ),
      h("p", { class: "clause-path", text: c.title }),
      h("p", { class: "clause-text" }, highlightedAll(String(c.text), terms)),
    ),
  );
}

function showClauses(list, terms, query) {
  $("clause-list").replaceChildren(...list.map((c) => clauseItem(c, terms)));
  const total = state.clauses.length;
  $("clause-count").textContent = query ? `找到 ${list.length} 条（共 ${total} 条）` : `共 ${total} 条`;
  const through = terms.slice(1);
  $("clause-terms").textContent = query && through.length ? `同时搜索：${through.join("、")}` : "";
}

let searchCtrl = null;

/** Search on the server (synonyms included); the plain text match here only when the server cannot be reached. */
async function renderClauses(query) {
  const q = query.trim();
  if (searchCtrl) searchCtrl.abort();
  if (!q) {
    showClauses(state.clauses, [], "");
    return;
  }
  const ctrl = (searchCtrl = new AbortController());
  try {
    const res = await fetch(`/v1/clause-search?q=${encodeURIComponent(q)}`, { signal: ctrl.signal });
    if (!res.ok) throw new Error(String(res.status));
    const found = await res.json();
    if (ctrl.signal.aborted) return;
    const list = found.clauses.map((m) => state.clauseById.get(m.id)).filter(Boolean);
    showClauses(list, found.terms, q);
  } catch (err) {
    if (ctrl.signal.aborted) return;
    const needle = q.toLowerCase();
    const list = state.clauses.filter((c) =>
      [c.id, c.name, c.title, c.text, clauseTopic(c.id)].some((s) => String(s).toLowerCase().includes(needle)),
    );
    showClauses(list, [q], q);
  }
}

/** Show one clause in the browser: the list cleared of any search, the clause opened, scrolled to and focused. */
async function openInBrowser(clauseId) {
  const search = $("clause-search");
  if (search.value) {
    search.value = "";
    await renderClauses("");
  }
  const item = $("clause-list").querySelector(`li[data-clause-id="${CSS.escape(clauseId)}"]`);
  if (!item) return;
  const details = item.querySelector("details");
  details.open = true;
  item.scrollIntoView({ block: "start" });
  details.querySelector("summary").focus();
}

async function loadClauses() {
  try {
    const res = await fetch("/v1/clauses");
    if (!res.ok) throw new Error(String(res.status));
    state.clauses = await res.json();
    state.clauseById = new Map(state.clauses.map((c) => [c.id, c]));
    await renderClauses($("clause-search").value);
  } catch {
    $("clause-count").textContent = "条款加载失败，请刷新页面重试。";
  }
}

/** The server's own rules (length limit, clause names and topics) rather than copies of them. */
async function loadMeta() {
  try {
    const res = await fetch("/v1/meta");
    if (!res.ok) return;
    state.meta = await res.json();
  } catch {
    return;
  }
  const limit = state.meta.max_question_chars;
  if (Number.isInteger(limit) && limit > 0) {
    $("question").maxLength = limit;
    $("composer-limit").textContent = ` · 最多 ${limit} 字`;
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
  document.addEventListener("keydown", onShortcut);
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
    timer = setTimeout(() => renderClauses(e.target.value), 150);
  });
  $("sign-in-form").addEventListener("submit", (e) => {
    e.preventDefault();
    submitSignIn();
  });
  $("sign-out").addEventListener("click", signOut);
  const saved = adoptSaved();
  const who = whoAmI();
  await loadMeta();
  await loadClauses(); // clause names and topics first: the saved cards name their clauses
  const me = await who;
  showSaved(saved, me.agent);
  state.signIn = me.sign_in;
  if (me.sign_in !== "none" && !me.agent) showSignIn();
  else showConsole(me.agent);
}

init();
