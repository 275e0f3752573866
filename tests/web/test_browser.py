"""The console and the widget in real headless Chromium, against the API served by uvicorn (fake embedder).

Skipped when Chromium or the playwright package is missing (see conftest.py).
"""

from __future__ import annotations

import json
from urllib.request import urlopen

import pytest

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect  # noqa: E402

PORTS_Q = "80端口和443端口默认关闭吗，备案后才能开？"
PORTS_ANSWER = "80/8080/443"
XSS = "<img src=x onerror=alert(1)>"
SESSION_KEY = "cu-assistant-widget:session"

# A hostile server response: markup in every string field. It must all show as text.
EVIL = "<img src=x onerror=alert(document.domain)><script>alert(2)</script>"
EVIL_ANSWER = {
    "session_id": "evil-session",
    "intent": "calculation",
    "answer": "答复" + EVIL,
    "citations": [
        {"clause_id": "M-10" + EVIL, "title": "标题 › " + EVIL, "text": "前文" + EVIL + "后文", "quote": EVIL, "score": 1.0}
    ],
    "calculation": {"name": "x", "inputs": {}, "result": EVIL, "unit": EVIL, "steps": [EVIL], "clause_ids": ["M-10"]},
}


def ask_console(page, question):
    """Type a question in the console, press Enter; returns (request payload, the new answer card)."""
    cards = page.locator("#history .card:not(.card-pending)")
    before = cards.count()
    box = page.get_by_label("客户问题")
    box.fill(question)
    with page.expect_request("**/v1/ask") as req:
        box.press("Enter")
    expect(cards).to_have_count(before + 1)
    return json.loads(req.value.post_data), cards.last


def open_widget(page):
    page.locator("#cu-assistant-widget button.launcher").click()
    panel = page.get_by_role("dialog", name="云专线协议助手")
    expect(panel).to_be_visible()
    return panel


def ask_widget(page, question):
    box = page.get_by_label("输入您的问题")
    box.fill(question)
    with page.expect_request("**/v1/ask") as req:
        box.press("Enter")
    return json.loads(req.value.post_data)


# ---------- the console ----------


def test_console_answers_with_citations_and_highlighted_clause(page, site):
    page.goto(site.api + "/")
    expect(page).to_have_title("云专线协议助手 · 坐席工作台")
    expect(page.get_by_label("客户问题")).to_be_focused()

    payload, card = ask_console(page, PORTS_Q)
    assert payload == {"question": PORTS_Q, "session_id": None, "channel": "agent"}
    expect(card.locator(".card-q-text")).to_have_text(PORTS_Q)
    expect(card.locator(".answer-text")).to_contain_text(PORTS_ANSWER)
    expect(card.locator(".badge")).to_have_text("条款查询")

    chip = card.locator("button.chip[data-clause-id='M-10']")
    expect(chip).to_contain_text("M-10")
    expect(chip).to_contain_text("主协议第十条")
    panel = card.locator(f"#{chip.get_attribute('aria-controls')}")
    expect(panel).to_be_hidden()
    chip.click()
    expect(chip).to_have_attribute("aria-expanded", "true")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("甲方具有互联网网站的")  # the full clause, beyond the quoted sentences
    expect(panel.locator("mark")).to_have_count(1)
    expect(panel.locator("mark")).to_contain_text("80/8080/443端口默认关闭")
    chip.click()
    expect(panel).to_be_hidden()
    assert page.dialogs == [] and page.errors == []


def test_console_keeps_the_session_and_new_chat_drops_it(page, site):
    page.goto(site.api + "/")
    first, _ = ask_console(page, PORTS_Q)
    session = page.locator("#session-id").get_attribute("title")
    assert first["session_id"] is None and session

    # Shift+Enter is a newline, not a send.
    box = page.get_by_label("客户问题")
    box.fill("月租费1万元")
    box.press("Shift+Enter")
    box.type("本月中断了30小时，能减免多少？")
    expect(box).to_have_value("月租费1万元\n本月中断了30小时，能减免多少？")
    expect(page.locator("#history .card")).to_have_count(1)
    with page.expect_request("**/v1/ask") as req:
        box.press("Enter")
    second = json.loads(req.value.post_data)
    assert second["session_id"] == session and second["channel"] == "agent"
    cards = page.locator("#history .card:not(.card-pending)")
    expect(cards).to_have_count(2)
    # The calculation's steps as a table.
    expect(cards.last.locator(".badge")).to_have_text("计算")
    expect(cards.last.locator("table.calc-table tbody tr").first).to_be_visible()
    expect(cards.last.locator("table.calc-table tfoot")).to_contain_text("元")

    page.get_by_role("button", name="新对话").click()
    expect(page.locator("#history .card")).to_have_count(0)
    expect(page.locator("#session-id")).to_have_text("新会话")
    expect(box).to_be_focused()
    third, _ = ask_console(page, "开户费多少钱")
    assert third["session_id"] is None


def test_console_copy_answer(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.api)
    page.goto(site.api + "/")
    _, card = ask_console(page, PORTS_Q)
    card.get_by_role("button", name="复制答复内容").click()
    expect(card.locator(".copy-btn")).to_have_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert PORTS_ANSWER in copied and "主协议第十条（M-10）" in copied


def test_clause_browser_lists_topics_and_searches_through_the_synonym_data(page, site):
    page.goto(site.api + "/")
    items = page.locator("#clause-list > li")
    expect(page.locator("#clause-count")).to_have_text("共 121 条")
    expect(items).to_have_count(121)
    # Each clause with its topic from the notes, not only "M-1 主协议第一条".
    meta = json.loads(urlopen(site.api + "/v1/meta").read())
    topic = next(c["topic"] for c in meta["clauses"] if c["id"] == "M-9")
    expect(page.locator("#clause-list > li[data-clause-id='M-9'] .clause-topic")).to_have_text(topic)

    search = page.get_by_label("搜索条款（编号、标题、正文或常用说法）")
    search.fill("A1-4.5")
    expect(items).to_have_count(1)
    expect(items.first).to_have_attribute("data-clause-id", "A1-4.5")
    items.first.locator("summary").click()
    expect(items.first.locator(".clause-text")).to_contain_text("3‰")

    # Issue 14: "退租" found none of 121 by substring; through the synonyms it finds the clauses on ending the contract.
    search.fill("退租")
    found = json.loads(urlopen(site.api + "/v1/clause-search?q=%E9%80%80%E7%A7%9F").read())
    expected = [c["id"] for c in found["clauses"]]
    assert {"A1-6.4", "A1-13.1", "M-5"} <= set(expected)
    expect(items).to_have_count(len(expected))
    assert [li.get_attribute("data-clause-id") for li in items.all()] == expected
    expect(page.locator("#clause-count")).to_have_text(f"找到 {len(expected)} 条（共 121 条）")
    expect(page.locator("#clause-terms")).to_contain_text("终止")
    first_marks = items.first.locator("mark")
    expect(first_marks.first).to_be_attached()
    assert set(first_marks.all_text_contents()) <= set(found["terms"])

    clauses = json.loads(urlopen(site.api + "/v1/clauses").read())
    with_word = {c["id"] for c in clauses if "备案" in c["text"]}
    search.fill("备案")
    expect(page.locator("#clause-count")).to_contain_text("找到")
    expect(items.first.locator("mark").first).to_have_text("备案")
    assert with_word <= {li.get_attribute("data-clause-id") for li in items.all()}

    search.fill("第二十三条")  # by name
    expect(page.locator("#clause-list > li[data-clause-id='M-23']")).to_have_count(1)

    search.fill("不存在的词语zzz")
    expect(items).to_have_count(0)
    expect(page.locator("#clause-count")).to_have_text("找到 0 条（共 121 条）")
    search.fill("")
    expect(items).to_have_count(121)


def test_console_shows_markup_in_a_question_as_text(page, site):
    page.goto(site.api + "/")
    _, card = ask_console(page, XSS)
    expect(card.locator(".card-q-text")).to_have_text(XSS)
    assert card.locator("img").count() == 0
    assert page.locator("img").count() == 0
    page.wait_for_timeout(200)  # give a would-be onerror handler the chance to fire
    assert page.dialogs == []


def test_console_renders_every_server_string_as_text(page, site):
    page.route("**/v1/ask", lambda route: route.fulfill(status=200, json=EVIL_ANSWER))
    page.goto(site.api + "/")
    _, card = ask_console(page, "任意问题")
    expect(card.locator(".answer-text")).to_have_text("答复" + EVIL)
    card.locator("button.chip").click()
    expect(card.locator(".cite-panel mark")).to_have_text(EVIL)
    expect(card.locator("table.calc-table tbody td")).to_have_text(EVIL)
    assert card.locator("img, script").count() == 0
    page.wait_for_timeout(200)
    assert page.dialogs == []


def test_console_shows_api_errors(page, site):
    page.goto(site.api + "/")
    page.route("**/v1/ask", lambda route: route.fulfill(status=503, json={"error": {"code": "index_unavailable", "message": "索引不可用"}}))
    _, card = ask_console(page, "开户费多少钱")
    expect(card.locator(".error-text")).to_have_text("请求未成功（503）：索引不可用")


# ---------- the widget ----------


def test_widget_on_an_allowed_origin_answers_and_keeps_its_session(page, site):
    page.goto(site.allowed_host + "/")
    launcher = page.locator("#cu-assistant-widget button.launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    panel = open_widget(page)
    expect(page.get_by_label("输入您的问题")).to_be_focused()

    payload = ask_widget(page, PORTS_Q)
    assert payload == {"question": PORTS_Q, "session_id": None, "channel": "widget"}
    expect(panel.locator(".msg.user .text")).to_have_text(PORTS_Q)
    answer = panel.locator(".msg.bot").last
    expect(answer).to_contain_text(PORTS_ANSWER)
    # Customers see the clause named in words, never its internal id.
    expect(answer.locator("summary").first).to_have_text("主协议第十条")
    expect(panel).not_to_contain_text("M-10")
    answer.locator("summary").first.click()
    expect(answer.locator("details mark").first).to_contain_text("80/8080/443端口默认关闭")
    session = page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')")
    assert session

    # The host page's aggressive CSS does not reach into the shadow root.
    bg = launcher.evaluate("el => getComputedStyle(el).backgroundColor")
    assert bg != "rgb(0, 255, 0)"
    assert panel.evaluate("el => getComputedStyle(el).fontSize") == "14px"
    host_style = page.locator("#cu-assistant-widget").evaluate("el => getComputedStyle(el).borderTopWidth")
    assert host_style == "0px"

    # Same tab, next page: the session carries on.
    page.reload()
    open_widget(page)
    with page.expect_response(lambda r: r.url.endswith("/v1/ask") and r.request.method == "POST") as response:
        assert ask_widget(page, "开户费多少钱")["session_id"] == session
    # The session is named in a header too (CORS allows it), so the server charges the session's budget as well.
    assert response.value.ok and response.value.request.headers.get("x-session-id") == session

    # Escape closes and gives focus back to the launcher.
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="云专线协议助手")).to_be_hidden()
    expect(launcher).to_be_focused()
    assert page.dialogs == [] and page.errors == []


def test_widget_shows_markup_as_text(page, site):
    page.goto(site.allowed_host + "/")
    panel = open_widget(page)
    ask_widget(page, XSS)
    expect(panel.locator(".msg.user .text")).to_have_text(XSS)
    expect(panel.locator(".msg.bot")).to_have_count(2)  # greeting + answer
    assert panel.locator("img").count() == 0
    page.wait_for_timeout(200)
    assert page.dialogs == []


def test_widget_renders_every_server_string_as_text(page, site):
    cors = {"access-control-allow-origin": site.allowed_host}
    page.route(f"{site.api}/v1/ask", lambda route: route.fulfill(status=200, json=EVIL_ANSWER, headers=cors))
    page.goto(site.allowed_host + "/")
    panel = open_widget(page)
    ask_widget(page, "任意问题")
    answer = panel.locator(".msg.bot").last
    expect(answer.locator(".answer")).to_have_text("答复" + EVIL)
    expect(answer.locator(".steps li")).to_have_text(EVIL)
    answer.locator("summary").click()
    expect(answer.locator("details mark")).to_have_text(EVIL)
    assert panel.locator("img, script").count() == 0
    page.wait_for_timeout(200)
    assert page.dialogs == []


def test_widget_on_another_origin_gets_no_answer(page, site):
    page.goto(site.other_host + "/")
    panel = open_widget(page)
    ask_widget(page, PORTS_Q)
    expect(panel.locator(".msg.error")).to_be_visible()
    expect(panel.locator(".msg.error")).to_contain_text("暂时无法连接")
    expect(panel.locator(".msg.bot")).to_have_count(1)  # only the greeting
    expect(panel).not_to_contain_text(PORTS_ANSWER)
    assert page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") is None
    expect(page.get_by_label("输入您的问题")).to_be_enabled()


def test_widget_is_full_screen_on_a_phone(browser, site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(site.allowed_host + "/")
        panel = open_widget(page)
        box = panel.bounding_box()
        assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
    finally:
        context.close()


def test_widget_demo_page_embeds_the_widget(page, site):
    page.goto(site.api + "/widget-demo")
    open_widget(page)
    payload = ask_widget(page, PORTS_Q)
    assert payload["channel"] == "widget"
    expect(page.locator("#cu-assistant-widget .msg.bot").last).to_contain_text(PORTS_ANSWER)
    assert page.errors == []


# ---------- options and the answer first ----------


def test_console_shows_the_summary_and_an_option_click_asks_its_question(page, site):
    page.goto(site.api + "/")
    _, card = ask_console(page, "违约金多少？")
    buttons = card.get_by_role("group", name="请选择您要问的是哪一种").get_by_role("button")
    assert 2 <= buttons.count() <= 5
    expect(card.locator(".answer-summary")).to_have_text("请选择您要问的是哪一种")
    chosen = buttons.first.get_attribute("title")
    cards = page.locator("#history .card:not(.card-pending)")
    with page.expect_request("**/v1/ask") as req:
        buttons.first.click()
    assert json.loads(req.value.post_data)["question"] == chosen
    expect(cards).to_have_count(2)
    answer = cards.last
    expect(answer.locator(".card-q-text")).to_have_text(chosen)
    expect(answer.locator(".answer-summary")).not_to_be_empty()
    assert page.errors == []


def test_widget_option_buttons_ask_their_question(page, site):
    page.goto(site.allowed_host + "/")
    panel = open_widget(page)
    ask_widget(page, "违约金多少？")
    options = panel.locator(".msg.bot").last.get_by_role("group", name="请选择您要问的是哪一种").get_by_role("button")
    expect(options.first).to_be_visible()
    chosen = options.nth(1).get_attribute("title")
    with page.expect_request("**/v1/ask") as req:
        options.nth(1).click()
    assert json.loads(req.value.post_data)["question"] == chosen
    expect(panel.locator(".msg.user .text").last).to_have_text(chosen)
    expect(panel.locator(".msg.bot .summary").last).not_to_be_empty()
    assert page.errors == []


# ---------- signing in ----------


def test_console_asks_agents_to_sign_in_when_keys_are_configured(page, agents_site):
    from tests.web.conftest import AGENT_KEY

    page.goto(agents_site + "/")
    form = page.locator("#sign-in-form")
    expect(form).to_be_visible()
    expect(page.locator("#console")).to_be_hidden()
    expect(page.get_by_label("坐席密钥")).to_be_focused()

    page.get_by_label("坐席密钥").fill("not-the-key-0123456789")
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#sign-in-error")).to_have_text("密钥不正确，请重试。")
    expect(page.locator("#console")).to_be_hidden()

    page.get_by_label("坐席密钥").fill(AGENT_KEY)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#console")).to_be_visible()
    expect(page.locator("#agent-id")).to_have_text("alice")
    cookie = next(c for c in page.context.cookies() if c["name"] == "assistant_agent")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # not readable by scripts

    payload, card = ask_console(page, PORTS_Q)
    assert payload["channel"] == "agent"
    expect(card.locator(".answer-text")).to_contain_text(PORTS_ANSWER)

    # A reload keeps the sign-in; signing out asks for the key again and the API refuses the agent channel.
    page.reload()
    expect(page.locator("#agent-id")).to_have_text("alice")
    page.get_by_role("button", name="退出登录").click()
    expect(form).to_be_visible()
    status = page.evaluate(
        """() => fetch('/v1/ask', {method: 'POST', headers: {'content-type': 'application/json'},
                                   body: JSON.stringify({question: '开户费多少钱', channel: 'agent'})}).then(r => r.status)"""
    )
    assert status == 401
    assert page.dialogs == [] and page.errors == []


def test_console_takes_a_new_session_from_the_server_and_says_so(page, site):
    page.goto(site.api + "/")
    # A session id the server never issued (as after an expiry): the answer comes in a new session, with a note.
    page.route(
        "**/v1/ask",
        lambda route: route.continue_(post_data=json.dumps({"question": PORTS_Q, "session_id": "expired-session", "channel": "agent"})),
    )
    _, card = ask_console(page, PORTS_Q)
    expect(card.locator(".session-notice")).to_contain_text("已开始新的会话")
    session = page.locator("#session-id").get_attribute("title")
    assert session and session != "expired-session"


# ---------- the API docs ----------


def test_docs_render_under_the_strict_csp_with_no_request_to_another_origin(page, site):
    requests, violations = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(site.api + "/docs")
    # Swagger UI built the operations list from /openapi.json: its start-up script ran, its styles applied.
    expect(page.locator(".opblock-summary-path", has_text="/v1/ask").first).to_be_visible()
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("云专线协议助手 API")
    assert page.errors == [] and violations == []
    assert requests and all(u.startswith(site.api + "/") or u.startswith("data:") for u in requests), requests
