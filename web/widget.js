/*
 * 云专线协议助手 — embeddable chat widget.
 *
 *   <script src="https://HOST/widget.js" data-api="https://HOST" async></script>
 *
 * Renders a floating button and a chat panel inside a Shadow DOM (styles isolated both ways).
 * The session id and the transcript live in sessionStorage for the tab, together: one is never restored without
 * the other. Server strings are inserted as text only. What the server decides (hotlines, the question length
 * limit, clause names, the hand-off to a person) comes from GET /v1/meta, never copied here.
 */
(function () {
  "use strict";
  if (window.__cuAssistantWidget) return;
  window.__cuAssistantWidget = true;

  var SESSION_KEY = "cu-assistant-widget:session";
  var TRANSCRIPT_KEY = "cu-assistant-widget:transcript";
  var TIMEOUT_MS = 30000;
  var FULL_SCREEN = "(max-width: 480px)";

  var script = document.currentScript || document.querySelector("script[src*='widget.js']");
  var api = (script && script.getAttribute("data-api")) || (script && script.src ? new URL(script.src, location.href).origin : location.origin);
  api = api.replace(/\/+$/, "");

  var CSS = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    ".root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; font-family: system-ui, -apple-system,",
    "  'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif;",
    "  font-size: 14px; line-height: 1.6; color: #1f2329; }",
    "button, textarea { font: inherit; color: inherit; }",
    ":focus-visible { outline: 2px solid #1664ff; outline-offset: 2px; }",
    ".launcher { display: flex; align-items: center; gap: 8px; height: 52px; padding: 0 20px 0 16px; border: 0;",
    "  border-radius: 26px; background: #c8102e; color: #fff; font-weight: 600; cursor: pointer;",
    "  box-shadow: 0 6px 20px rgba(200, 16, 46, 0.35); }",
    ".launcher:hover { background: #a00d25; }",
    ".launcher[hidden] { display: none; }",
    ".launcher svg { width: 22px; height: 22px; fill: currentColor; }",
    ".panel { position: absolute; right: 0; bottom: 0; width: 380px; height: min(600px, calc(100vh - 40px));",
    "  display: flex; flex-direction: column; background: #fff; border-radius: 14px; overflow: hidden;",
    "  box-shadow: 0 12px 40px rgba(0, 0, 0, 0.18); border: 1px solid #e5e6eb; }",
    ".panel[hidden] { display: none; }",
    ".head { display: flex; align-items: center; gap: 10px; padding: 12px 12px 12px 16px; background: #c8102e; color: #fff; }",
    ".head-title { flex: 1; min-width: 0; }",
    ".head h2 { margin: 0; font-size: 15px; font-weight: 600; }",
    ".head p { margin: 0; font-size: 12px; }",
    ".icon-btn { border: 0; background: transparent; color: #fff; cursor: pointer; border-radius: 6px; padding: 4px 8px; font-size: 13px; }",
    ".icon-btn:hover { background: rgba(255, 255, 255, 0.16); }",
    ".icon-btn.close { font-size: 20px; line-height: 1; padding: 2px 8px; }",
    ".icon-btn:focus-visible { outline-color: #fff; }",
    ".log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 10px; background: #f7f8fa; }",
    ".msg { max-width: 88%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".msg p { margin: 0; }",
    ".msg.user { align-self: flex-end; background: #c8102e; color: #fff; border-bottom-right-radius: 4px; }",
    ".msg.bot { align-self: flex-start; background: #fff; border: 1px solid #e5e6eb; border-bottom-left-radius: 4px; }",
    ".msg.error { align-self: flex-start; background: #fff1f0; border: 1px solid #ffccc7; color: #a8071a; }",
    ".msg.pending { align-self: flex-start; background: #fff; border: 1px solid #e5e6eb; color: #5e6673; }",
    ".msg a { color: #0b4fc0; text-decoration: underline; }",
    ".msg.error a { color: #a8071a; }",
    ".steps { margin: 8px 0 0; padding: 8px 10px 8px 28px; background: #f7f8fa; border-radius: 8px; font-size: 13px; white-space: normal; }",
    ".result { margin-top: 6px; font-weight: 600; color: #c8102e; }",
    ".summary { margin: 0 0 4px; font-weight: 600; }",
    ".options, .suggest-list { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }",
    ".option, .suggestion { border: 1px solid #c8102e; color: #b00e28; background: #fff; border-radius: 999px; padding: 4px 10px;",
    "  font: inherit; font-size: 13px; cursor: pointer; text-align: left; }",
    ".option:hover, .suggestion:hover { background: #fff1f0; }",
    ".suggest { align-self: stretch; }",
    ".suggest-label { margin: 0; font-size: 12px; color: #5e6673; }",
    ".cites { margin-top: 8px; border-top: 1px dashed #e5e6eb; padding-top: 6px; white-space: normal; }",
    ".cites-label { font-size: 12px; color: #5e6673; }",
    "details { margin-top: 4px; font-size: 13px; }",
    "summary { cursor: pointer; color: #0b4fc0; }",
    "details p { margin: 4px 0 0; padding: 6px 8px; background: #f7f8fa; border-radius: 6px; color: #4e5969; white-space: pre-wrap; }",
    "mark { background: #ffe58f; color: inherit; }",
    ".rate { display: flex; align-items: center; gap: 6px; margin-top: 8px; white-space: normal; }",
    ".rate-btn { display: inline-flex; align-items: center; gap: 4px; border: 1px solid #c9cdd4; background: #fff; color: #4e5969;",
    "  border-radius: 999px; padding: 2px 10px; font-size: 12px; cursor: pointer; }",
    ".rate-btn[aria-pressed='true'] { border-color: #c8102e; color: #b00e28; background: #fff1f0; }",
    ".rate-btn:disabled { cursor: default; }",
    ".rate-status { font-size: 12px; color: #5e6673; }",
    ".icon { width: 14px; height: 14px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; }",
    ".form { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e5e6eb; background: #fff; }",
    ".form textarea { flex: 1; resize: none; height: 44px; max-height: 120px; padding: 10px 12px; border: 1px solid #c9cdd4;",
    "  border-radius: 10px; background: #fff; }",
    ".form textarea:focus { outline: none; border-color: #1664ff; box-shadow: 0 0 0 3px rgba(22, 100, 255, 0.15); }",
    ".send { border: 0; border-radius: 10px; padding: 0 16px; background: #c8102e; color: #fff; font-weight: 600; cursor: pointer; }",
    ".send:disabled { opacity: 0.6; cursor: not-allowed; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".note { margin: 0; padding: 0 12px 8px; font-size: 12px; color: #5e6673; background: #fff; text-align: center; }",
    ".note a { color: #0b4fc0; }",
    "@media (max-width: 480px) {",
    "  .root { right: 12px; bottom: 12px; }",
    "  .panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }",
    "  .msg { max-width: 92%; }",
    "  .form textarea { font-size: 16px; }",
    "}",
  ].join("\n");

  var ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"/></svg>';

  var PATHS = {
    up: "M7 10v10H3V10h4zm0 0l4-7.5c1.2 0 2 .9 2 2V9h5.5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7",
    down: "M7 14V4H3v10h4zm0 0l4 7.5c1.2 0 2-.9 2-2V15h5.5a2 2 0 0 0 2-2.3l-1.2-7A2 2 0 0 0 17.3 4H7",
  };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", PATHS[name]);
    svg.append(path);
    return svg;
  }

  /** The clause text with each quoted passage (the server joins passages apart with "……") in <mark>; text nodes only. */
  function highlighted(text, quote) {
    var p = document.createElement("p");
    var parts = String(quote || "").split("……").map(function (s) { return s.trim(); }).filter(Boolean);
    var from = 0;
    parts.forEach(function (part) {
      var at = text.indexOf(part, from);
      if (at < 0) return;
      if (at > from) p.append(document.createTextNode(text.slice(from, at)));
      p.append(el("mark", null, part));
      from = at + part.length;
    });
    if (from < text.length) p.append(document.createTextNode(text.slice(from)));
    return p;
  }

  /* ---------- what the server decides (GET /v1/meta) ---------- */

  var meta = null;
  var metaReady = fetch(api + "/v1/meta", { mode: "cors", credentials: "omit" })
    .then(function (res) {
      return res.ok ? res.json() : null;
    })
    .then(function (m) {
      meta = m;
      return m;
    })
    .catch(function () {
      return null;
    });

  /** The numbers to make tap-to-call: the hotlines and the hand-off number. */
  function phoneNumbers() {
    if (!meta) return [];
    var nums = (meta.hotlines || []).map(function (h) { return h.number; });
    if (meta.handoff && meta.handoff.number) nums.push(meta.handoff.number);
    return nums.filter(Boolean).sort(function (a, b) { return b.length - a.length; });
  }

  function telLink(number, text) {
    var a = el("a", "tel", text || number);
    a.href = "tel:" + String(number).replace(/[^0-9+]/g, "");
    return a;
  }

  /** Text with every hotline number in it as a tel: link (text nodes and <a> only). */
  function withPhoneLinks(text) {
    var frag = document.createDocumentFragment();
    var nums = phoneNumbers();
    var from = 0;
    text = String(text);
    for (;;) {
      var at = -1;
      var num = null;
      nums.forEach(function (n) {
        var i = text.indexOf(n, from);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          num = n;
        }
      });
      if (at < 0) break;
      if (at > from) frag.append(document.createTextNode(text.slice(from, at)));
      frag.append(telLink(num));
      from = at + num.length;
    }
    if (from < text.length) frag.append(document.createTextNode(text.slice(from)));
    return frag;
  }

  /** The clause named in words for customers ("主协议第十条"), never its internal id. */
  function clauseName(id) {
    var clauses = (meta && meta.clauses) || [];
    for (var i = 0; i < clauses.length; i++) if (clauses[i].id === id) return clauses[i].name;
    return "合同相关条款";
  }

  function maxChars() {
    return (meta && meta.max_question_chars) || 0;
  }

  /** How a customer reaches a person: the configured page, else the configured number, else the first hotline. */
  function handoffLink() {
    var h = (meta && meta.handoff) || {};
    if (h.url) {
      var a = el("a", "handoff", "转人工客服");
      a.href = h.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    var number = h.number || (meta && meta.hotlines && meta.hotlines[0] && meta.hotlines[0].number);
    return number ? telLink(number, "转人工客服（" + number + "）") : null;
  }

  /* ---------- the tab's conversation ---------- */

  function storageGet(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }
  function storageSet(key, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (e) {
      /* storage unavailable (privacy mode, sandbox): keep it in memory only */
    }
  }

  function readTranscript() {
    try {
      var t = JSON.parse(storageGet(TRANSCRIPT_KEY) || "null");
      return t && Array.isArray(t.items) ? t : null;
    } catch (e) {
      return null;
    }
  }

  var memorySession = storageGet(SESSION_KEY);
  var transcript = readTranscript();
  // A session whose transcript is gone would answer follow-ups from context the customer cannot see: drop both.
  if (!memorySession || !transcript || transcript.session !== memorySession) {
    memorySession = null;
    transcript = null;
    storageSet(SESSION_KEY, null);
    storageSet(TRANSCRIPT_KEY, null);
  }
  transcript = transcript || { session: null, turns: 0, items: [] };

  function saveTranscript() {
    transcript.session = memorySession;
    storageSet(SESSION_KEY, memorySession);
    storageSet(TRANSCRIPT_KEY, memorySession ? JSON.stringify(transcript) : null);
  }

  function build() {
    var host = document.createElement("div");
    host.id = "cu-assistant-widget";
    host.setAttribute("data-api", api);
    host.setAttribute("lang", "zh-CN");
    // The host page's own rules can still style this outer element (e.g. `div { border: … }`); reset them.
    host.style.setProperty("all", "initial", "important");
    var shadow = host.attachShadow({ mode: "open" });

    var style = document.createElement("style");
    style.textContent = CSS;

    var root = el("div", "root");
    root.setAttribute("lang", "zh-CN");

    var launcher = el("button", "launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "cu-panel");
    launcher.innerHTML = ICON; // static markup from this file, never server data
    launcher.append(el("span", null, "在线咨询"));

    var panel = el("section", "panel");
    panel.id = "cu-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "false");
    panel.setAttribute("aria-labelledby", "cu-title");

    // A plain <div>: the host page has its own banner; the panel adds no second one.
    var head = el("div", "head");
    var titles = el("div", "head-title");
    var title = el("h2", null, "云专线协议助手");
    title.id = "cu-title";
    titles.append(title, el("p", null, "中国联通北京分公司 · 依据入网协议解答"));
    var resetBtn = el("button", "icon-btn reset", "新对话");
    resetBtn.type = "button";
    resetBtn.setAttribute("aria-label", "开始新对话");
    var closeBtn = el("button", "icon-btn close", "×");
    closeBtn.type = "button";
    closeBtn.setAttribute("aria-label", "关闭对话窗口");
    head.append(titles, resetBtn, closeBtn);

    var log = el("div", "log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "对话内容");

    var form = el("form", "form");
    form.noValidate = true;
    var label = el("label", "sr-only", "输入您的问题");
    label.htmlFor = "cu-input";
    var input = el("textarea");
    input.id = "cu-input";
    input.rows = 1;
    input.placeholder = "请输入您的问题…";
    var send = el("button", "send", "发送");
    send.type = "submit";
    form.append(label, input, send);

    var note = el("p", "note", "回答仅供参考，以协议原文为准。");

    panel.append(head, log, form, note);
    root.append(launcher, panel);
    shadow.append(style, root);
    document.body.appendChild(host);

    /** The footer once the server has said how to reach a person; the length limit on the question box. */
    function applyMeta() {
      var limit = maxChars();
      if (limit) input.maxLength = limit;
      note.replaceChildren(document.createTextNode("回答仅供参考，以协议原文为准。"));
      var link = handoffLink();
      if (link) note.append(document.createTextNode("需要人工服务？"), link);
    }
    metaReady.then(applyMeta);

    function greet() {
      var m = message("bot");
      m.append(
        el("p", "answer", "您好！我是北京联通云专线协议助手，可以解答《云专线产品入网协议》相关问题，例如端口开通、费用减免、停机与违约责任等。"),
      );
      log.append(m);
    }

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }

    /** A message bubble that says who speaks (read out by screen readers before the text). */
    function message(who, extra) {
      var m = el("div", "msg " + who + (extra ? " " + extra : ""));
      m.append(el("span", "sr-only speaker", who === "user" ? "您说：" : "助手说："));
      return m;
    }

    function addUser(text) {
      var m = message("user");
      m.append(el("span", "text", text));
      log.append(m);
      scrollDown();
    }

    /** Helpful / not helpful on one turn; the choice is kept with the transcript. */
    function rateBar(item) {
      var bar = el("div", "rate");
      bar.setAttribute("role", "group");
      bar.setAttribute("aria-label", "这条回答有帮助吗");
      var status = el("span", "rate-status");
      status.setAttribute("role", "status");
      var buttons = [];
      function mark(helpful) {
        buttons.forEach(function (b) {
          b.disabled = true;
          b.setAttribute("aria-pressed", String(b.getAttribute("data-helpful") === String(helpful)));
        });
        status.textContent = "感谢您的反馈";
      }
      [
        [true, "有帮助", "up"],
        [false, "没帮助", "down"],
      ].forEach(function (spec) {
        var b = el("button", "rate-btn");
        b.type = "button";
        b.setAttribute("aria-pressed", "false");
        b.setAttribute("data-helpful", String(spec[0]));
        b.append(icon(spec[2]), document.createTextNode(spec[1]));
        b.addEventListener("click", function () {
          buttons.forEach(function (x) { x.disabled = true; });
          status.textContent = "提交中…";
          fetch(api + "/v1/feedback", {
            method: "POST",
            mode: "cors",
            credentials: "omit",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ session_id: item.session, turn: item.turn, helpful: spec[0] }),
          })
            .then(function (res) {
              if (!res.ok) throw new Error(String(res.status));
              item.rated = spec[0];
              saveTranscript();
              mark(spec[0]);
            })
            .catch(function () {
              buttons.forEach(function (x) { x.disabled = false; });
              status.textContent = "提交失败，请重试";
            });
        });
        buttons.push(b);
        bar.append(b);
      });
      bar.append(status);
      if (item.rated === true || item.rated === false) mark(item.rated);
      return bar;
    }

    function addBot(item) {
      var answer = item.answer;
      var m = message("bot");
      // The answer first: the asked fact in one line above the rest.
      if (answer.summary) m.append(el("p", "summary", answer.summary));
      var text = el("p", "answer");
      text.append(withPhoneLinks(answer.answer));
      m.append(text);
      if (answer.options && answer.options.length) {
        // Each option is a question answered as it stands: tapping it asks it.
        var opts = el("div", "options");
        opts.setAttribute("role", "group");
        opts.setAttribute("aria-label", "请选择您要问的是哪一种");
        answer.options.forEach(function (o) {
          var b = el("button", "option", o.label);
          b.type = "button";
          b.title = o.question;
          b.addEventListener("click", function () {
            if (!busy) ask(o.question);
          });
          opts.append(b);
        });
        m.append(opts);
      }
      var calc = answer.calculation;
      if (calc && calc.steps && calc.steps.length) {
        var ol = el("ol", "steps");
        ol.setAttribute("aria-label", "计算过程");
        calc.steps.forEach(function (s) {
          ol.append(el("li", null, s));
        });
        m.append(ol, el("p", "result", "结果：" + calc.result + (calc.unit ? " " + calc.unit : "")));
      }
      if (answer.citations && answer.citations.length) {
        var cites = el("div", "cites");
        cites.append(el("span", "cites-label", "依据条款"));
        answer.citations.forEach(function (c) {
          var d = el("details");
          d.append(el("summary", null, clauseName(c.clause_id)), highlighted(String(c.text), String(c.quote || "")));
          cites.append(d);
        });
        m.append(cites);
      }
      if (item.session && item.turn > 0) m.append(rateBar(item));
      log.append(m);
      scrollDown();
      return m;
    }

    function addError(text) {
      var m = message("error");
      m.setAttribute("role", "alert");
      var p = el("p", "text");
      p.append(withPhoneLinks(text));
      m.append(p);
      log.append(m);
      scrollDown();
    }

    /* ---------- suggested questions ---------- */

    var suggestSeq = 0;
    /** Questions from the clause notes: the opening ones, or ones about the clauses just cited. */
    function suggest(clauseIds) {
      var seq = ++suggestSeq;
      var params = new URLSearchParams();
      (clauseIds || []).slice(0, 5).forEach(function (id) { params.append("after", id); });
      transcript.items
        .filter(function (i) { return i.role === "user" && i.text.length <= 60; })
        .slice(-10)
        .forEach(function (i) { params.append("asked", i.text); });
      fetch(api + "/v1/suggestions?" + params.toString(), { mode: "cors", credentials: "omit" })
        .then(function (res) {
          return res.ok ? res.json() : null;
        })
        .then(function (body) {
          if (seq !== suggestSeq || !body || !body.questions || !body.questions.length) return;
          clearSuggestions();
          var box = el("div", "suggest");
          box.setAttribute("role", "group");
          box.setAttribute("aria-labelledby", "cu-suggest-label");
          var lab = el("p", "suggest-label", "您可能还想问：");
          lab.id = "cu-suggest-label";
          var list = el("div", "suggest-list");
          body.questions.forEach(function (q) {
            var b = el("button", "suggestion", q);
            b.type = "button";
            b.addEventListener("click", function () {
              if (!busy) ask(q);
            });
            list.append(b);
          });
          box.append(lab, list);
          log.append(box);
          scrollDown();
        })
        .catch(function () {
          /* no suggestions: the customer can still type */
        });
    }
    function clearSuggestions() {
      suggestSeq += 1;
      var old = log.querySelectorAll(".suggest");
      for (var i = 0; i < old.length; i++) old[i].remove();
    }

    function lastCited() {
      for (var i = transcript.items.length - 1; i >= 0; i--) {
        var it = transcript.items[i];
        if (it.role === "bot") return (it.answer.citations || []).map(function (c) { return c.clause_id; });
      }
      return [];
    }

    /* ---------- asking ---------- */

    var busy = false;
    function setBusy(b) {
      busy = b;
      send.disabled = b;
      send.textContent = b ? "…" : "发送";
      send.setAttribute("aria-label", b ? "正在发送" : "发送");
    }

    function hotlineHint() {
      var h = meta && meta.hotlines && meta.hotlines[0];
      return h ? "，或拨打" + h.name + " " + h.number : "";
    }

    function friendly(status) {
      if (status === 400 || status === 422) {
        return "抱歉，没能理解这个问题，请换个说法或简短描述" + (maxChars() ? "（" + maxChars() + " 字以内）" : "") + "。";
      }
      if (status === 429) return "咨询的人有点多，请稍候再试。";
      return "抱歉，服务暂时不可用，请稍后再试" + hotlineHint() + "。";
    }

    function ask(question) {
      clearSuggestions();
      addUser(question);
      transcript.items.push({ role: "user", text: question });
      saveTranscript();
      var pending = message("pending");
      pending.append(el("span", "text", "正在查询协议条款…"));
      log.append(pending);
      scrollDown();
      setBusy(true);
      var ctrl = typeof AbortController === "function" ? new AbortController() : null;
      var timer = setTimeout(function () {
        if (ctrl) ctrl.abort();
      }, TIMEOUT_MS);
      var headers = { "content-type": "application/json" };
      /* the server charges a session it issued its own request budget, not the visitor's (shared) address */
      if (memorySession) headers["x-session-id"] = memorySession;
      fetch(api + "/v1/ask", {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: headers,
        body: JSON.stringify({ question: question, session_id: memorySession, channel: "widget" }),
        signal: ctrl ? ctrl.signal : undefined,
      })
        .then(function (res) {
          if (!res.ok) throw { status: res.status };
          return res.json();
        })
        .then(function (answer) {
          pending.remove();
          if (answer.session_started || answer.session_id !== memorySession) transcript.turns = 0;
          memorySession = answer.session_id || null;
          transcript.turns += 1;
          // The server's own turn number wins when it sends one.
          var turn = typeof answer.turn === "number" && answer.turn > 0 ? answer.turn : transcript.turns;
          var item = { role: "bot", answer: answer, session: memorySession, turn: turn };
          transcript.items.push(item);
          saveTranscript();
          addBot(item);
          suggest((answer.citations || []).map(function (c) { return c.clause_id; }));
        })
        .catch(function (err) {
          pending.remove();
          var text = err && err.status
            ? friendly(err.status)
            : "抱歉，暂时无法连接咨询服务（网络异常或当前网站未获授权）。请稍后再试" + hotlineHint() + "。";
          addError(text);
          transcript.items.push({ role: "error", text: text });
          saveTranscript();
        })
        .then(function () {
          clearTimeout(timer);
          setBusy(false);
        });
    }

    function showTranscript() {
      log.replaceChildren();
      greet();
      transcript.items.forEach(function (it) {
        if (it.role === "user") addUser(it.text);
        else if (it.role === "bot") addBot(it);
        else addError(it.text);
      });
      suggest(lastCited());
    }

    /* ---------- full screen on a phone: a modal dialog that keeps focus ---------- */

    var phone = window.matchMedia ? window.matchMedia(FULL_SCREEN) : null;
    function fullScreen() {
      return !!(phone && phone.matches);
    }
    function updateModal() {
      panel.setAttribute("aria-modal", String(fullScreen() && !panel.hidden));
    }
    if (phone && phone.addEventListener) phone.addEventListener("change", updateModal);

    function focusables() {
      var all = panel.querySelectorAll("button, [href], textarea, summary, [tabindex]:not([tabindex='-1'])");
      return Array.prototype.filter.call(all, function (n) {
        return !n.disabled && n.getClientRects().length > 0;
      });
    }

    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        close();
        return;
      }
      if (e.key !== "Tab" || !fullScreen()) return;
      var f = focusables();
      if (!f.length) return;
      var active = shadow.activeElement;
      if (e.shiftKey && (active === f[0] || f.indexOf(active) < 0)) {
        e.preventDefault();
        f[f.length - 1].focus();
      } else if (!e.shiftKey && (active === f[f.length - 1] || f.indexOf(active) < 0)) {
        e.preventDefault();
        f[0].focus();
      }
    });
    // Focus that reaches the page behind a full-screen panel (a click, assistive tech) comes back to the question box.
    document.addEventListener("focusin", function (e) {
      if (!panel.hidden && fullScreen() && e.target !== host) input.focus();
    });

    var shown = false; // the transcript is put in the log once, on first opening
    function open() {
      panel.hidden = false;
      launcher.hidden = true;
      root.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      updateModal();
      if (!shown) {
        // At once, so nothing typed meanwhile is wiped; again when the server's names and numbers arrive late.
        shown = true;
        showTranscript();
        if (!meta) {
          metaReady.then(function (m) {
            if (m && !busy) showTranscript();
          });
        }
      }
      input.focus();
    }
    function close() {
      panel.hidden = true;
      launcher.hidden = false;
      root.classList.remove("open");
      launcher.setAttribute("aria-expanded", "false");
      updateModal();
      launcher.focus();
    }

    launcher.addEventListener("click", open);
    closeBtn.addEventListener("click", close);
    resetBtn.addEventListener("click", function () {
      memorySession = null;
      transcript = { session: null, turns: 0, items: [] };
      saveTranscript();
      showTranscript();
      input.focus();
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = input.value.trim();
      if (!q || busy) return;
      input.value = "";
      ask(maxChars() ? q.slice(0, maxChars()) : q);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
  }

  if (document.body) build();
  else document.addEventListener("DOMContentLoaded", build);
})();
