/*
 * 云专线协议助手 — embeddable chat widget.
 *
 *   <script src="https://HOST/widget.js" data-api="https://HOST" async></script>
 *
 * Renders a floating button and a chat panel inside a Shadow DOM (styles isolated both ways).
 * The session id lives in sessionStorage for the tab. Server strings are inserted as text only.
 */
(function () {
  "use strict";
  if (window.__cuAssistantWidget) return;
  window.__cuAssistantWidget = true;

  var SESSION_KEY = "cu-assistant-widget:session";
  var MAX_QUESTION = 500;
  var TIMEOUT_MS = 30000;

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
    ".head p { margin: 0; font-size: 12px; opacity: 0.85; }",
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
    ".msg.pending { color: #86909c; }",
    ".steps { margin: 8px 0 0; padding: 8px 10px 8px 28px; background: #f7f8fa; border-radius: 8px; font-size: 13px; white-space: normal; }",
    ".result { margin-top: 6px; font-weight: 600; color: #c8102e; }",
    ".summary { margin: 0 0 4px; font-weight: 600; }",
    ".options { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }",
    ".option { border: 1px solid #c8102e; color: #c8102e; background: #fff; border-radius: 999px; padding: 4px 10px; font: inherit; cursor: pointer; }",
    ".cites { margin-top: 8px; border-top: 1px dashed #e5e6eb; padding-top: 6px; white-space: normal; }",
    ".cites-label { font-size: 12px; color: #86909c; }",
    "details { margin-top: 4px; font-size: 13px; }",
    "summary { cursor: pointer; color: #0e5ad9; }",
    "details p { margin: 4px 0 0; padding: 6px 8px; background: #f7f8fa; border-radius: 6px; color: #4e5969; white-space: pre-wrap; }",
    "mark { background: #ffe58f; color: inherit; }",
    ".form { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e5e6eb; background: #fff; }",
    ".form textarea { flex: 1; resize: none; height: 44px; max-height: 120px; padding: 10px 12px; border: 1px solid #e5e6eb;",
    "  border-radius: 10px; background: #fff; }",
    ".form textarea:focus { outline: none; border-color: #1664ff; box-shadow: 0 0 0 3px rgba(22, 100, 255, 0.15); }",
    ".send { border: 0; border-radius: 10px; padding: 0 16px; background: #c8102e; color: #fff; font-weight: 600; cursor: pointer; }",
    ".send:disabled { opacity: 0.6; cursor: not-allowed; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".note { margin: 0; padding: 0 12px 8px; font-size: 11px; color: #86909c; background: #fff; text-align: center; }",
    "@media (max-width: 480px) {",
    "  .root { right: 12px; bottom: 12px; }",
    "  .panel { position: fixed; inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }",
    "  .msg { max-width: 92%; }",
    "  .form textarea { font-size: 16px; }",
    "}",
  ].join("\n");

  var ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm5 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"/></svg>';

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** The clause text with the quoted sentence wrapped in <mark>; text nodes only. */
  function highlighted(text, quote) {
    var p = document.createElement("p");
    var at = quote ? text.indexOf(quote) : -1;
    if (at < 0) {
      p.textContent = text;
      return p;
    }
    p.append(document.createTextNode(text.slice(0, at)), el("mark", null, quote), document.createTextNode(text.slice(at + quote.length)));
    return p;
  }

  var PARTS = { M: "主协议", A1: "附件一", A2: "附件二" };

  /** "M-10" + "云专线产品入网协议 › 第十条" → "主协议第十条"; "A1-2.1" + "… › 2.1" → "附件一第2.1条". */
  function clauseName(id, title) {
    var segs = String(title || "").split(" › ");
    var last = (segs[segs.length - 1] || "").split(" ")[0];
    var prefix = PARTS[String(id).split("-")[0]];
    if (!prefix || !last) return last;
    return prefix + (last.charAt(0) === "第" ? last : "第" + last + "条");
  }

  function readSession() {
    try {
      return window.sessionStorage.getItem(SESSION_KEY);
    } catch (e) {
      return null;
    }
  }
  function writeSession(id) {
    try {
      if (id) window.sessionStorage.setItem(SESSION_KEY, id);
      else window.sessionStorage.removeItem(SESSION_KEY);
    } catch (e) {
      /* storage unavailable (privacy mode, sandbox): keep the session in memory only */
    }
    memorySession = id || null;
  }
  var memorySession = readSession();

  function build() {
    var host = document.createElement("div");
    host.id = "cu-assistant-widget";
    host.setAttribute("data-api", api);
    // The host page's own rules can still style this outer element (e.g. `div { border: … }`); reset them.
    host.style.setProperty("all", "initial", "important");
    var shadow = host.attachShadow({ mode: "open" });

    var style = document.createElement("style");
    style.textContent = CSS;

    var root = el("div", "root");

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

    var head = el("header", "head");
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
    input.maxLength = MAX_QUESTION;
    input.rows = 1;
    input.placeholder = "请输入您的问题…";
    var send = el("button", "send", "发送");
    send.type = "submit";
    form.append(label, input, send);

    var note = el("p", "note", "回答仅供参考，以协议原文为准。人工服务请拨打 10010");

    panel.append(head, log, form, note);
    root.append(launcher, panel);
    shadow.append(style, root);
    document.body.appendChild(host);

    function greet() {
      addBot({
        answer: "您好！我是北京联通云专线协议助手，可以解答《云专线产品入网协议》相关问题，例如端口开通、费用减免、停机与违约责任等。",
        citations: [],
        calculation: null,
      });
    }

    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }

    function addUser(text) {
      var m = el("div", "msg user", text);
      log.append(m);
      scrollDown();
    }

    function addBot(answer) {
      var m = el("div", "msg bot");
      // The answer first: the asked fact in one line above the rest.
      if (answer.summary) m.append(el("p", "summary", answer.summary));
      m.append(el("p", "answer", answer.answer));
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
          d.append(el("summary", null, c.clause_id + " " + clauseName(c.clause_id, c.title)), highlighted(String(c.text), String(c.quote || "")));
          cites.append(d);
        });
        m.append(cites);
      }
      log.append(m);
      scrollDown();
      return m;
    }

    function addError(text) {
      var m = el("div", "msg error", text);
      m.setAttribute("role", "alert");
      log.append(m);
      scrollDown();
    }

    var busy = false;
    function setBusy(b) {
      busy = b;
      send.disabled = b;
      send.textContent = b ? "…" : "发送";
      send.setAttribute("aria-label", b ? "正在发送" : "发送");
    }

    function friendly(status) {
      if (status === 400 || status === 422) return "抱歉，没能理解这个问题，请换个说法或简短描述（500 字以内）。";
      if (status === 429) return "咨询的人有点多，请稍候再试。";
      return "抱歉，服务暂时不可用，请稍后再试，或拨打客服热线 10010。";
    }

    function ask(question) {
      addUser(question);
      var pending = el("div", "msg bot pending", "正在查询协议条款…");
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
          if (answer.session_id) writeSession(answer.session_id);
          addBot(answer);
        })
        .catch(function (err) {
          pending.remove();
          addError(
            err && err.status
              ? friendly(err.status)
              : "抱歉，暂时无法连接咨询服务（网络异常或当前网站未获授权）。请稍后再试，或拨打客服热线 10010。",
          );
        })
        .then(function () {
          clearTimeout(timer);
          setBusy(false);
        });
    }

    function open() {
      panel.hidden = false;
      launcher.hidden = true;
      root.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      if (!log.childElementCount) greet();
      input.focus();
    }
    function close() {
      panel.hidden = true;
      launcher.hidden = false;
      root.classList.remove("open");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", open);
    closeBtn.addEventListener("click", close);
    resetBtn.addEventListener("click", function () {
      writeSession(null);
      log.replaceChildren();
      greet();
      input.focus();
    });
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") close();
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = input.value.trim();
      if (!q || busy) return;
      input.value = "";
      ask(q.slice(0, MAX_QUESTION));
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
