import pytest

from assistant.corpus.ids import clause_name, referenced_ids
from assistant.corpus.parse import join_lines, parse
from assistant.errors import ClauseNotFound

A1 = (
    ["A1-1"]
    + [f"A1-2.{i}" for i in range(1, 5)]
    + ["A1-2.5"] + [f"A1-2.5.{i}" for i in range(1, 9)]
    + [f"A1-2.{i}" for i in range(6, 11)]
    + [f"A1-3.{i}" for i in range(1, 9)]
    + [f"A1-4.{i}" for i in range(1, 8)]
    + ["A1-5.1", "A1-5.2"]
    + [f"A1-6.{i}" for i in range(1, 5)]
    + ["A1-7.1", "A1-7.2", "A1-7.3", "A1-7.3.1", "A1-7.3.2", "A1-7.4", "A1-7.5", "A1-7.6"]
    + ["A1-8", "A1-9", "A1-10.1"] + [f"A1-10.1.{i}" for i in range(1, 6)]
    + ["A1-10.2", "A1-10.3", "A1-10.4", "A1-11", "A1-12", "A1-13.1", "A1-13.2"]
)
EXPECTED_IDS = [f"M-{i}" for i in range(1, 50)] + A1 + [f"A2-{i}" for i in range(1, 10)]


def test_id_set_is_exactly_the_expected_one(corpus):
    assert corpus.ids == EXPECTED_IDS


def test_every_body_character_lies_in_exactly_one_clause(corpus):
    covered = [0] * len(corpus.text)
    for c in corpus.clauses:
        for i in range(c.start, c.end):
            covered[i] += 1
    headings = {i for s in corpus.heading_spans for i in range(s.start, s.end)}
    body = [i for s in corpus.body_spans for i in range(s.start, s.end)]
    assert len(body) > 12000
    bad = [i for i in body if not corpus.text[i].isspace() and i not in headings and covered[i] != 1]
    assert bad == [], corpus.text[bad[0] - 10 : bad[0] + 10] if bad else ""
    assert all(corpus.text[i].isspace() or covered[i] == 0 for i in headings)


def test_bodies_are_the_agreement_and_both_annexes(corpus):
    starts = [corpus.text[s.start : s.start + 6] for s in corpus.body_spans]
    assert starts[0].startswith("一、")
    assert starts[1].startswith("第一条")
    assert starts[2].startswith("1.甲方")


def test_signature_block_and_preamble_are_not_clauses(corpus):
    sig = corpus.text.index("甲方（盖章）")
    pre = corpus.text.index("根据《中华人民共和国合同法》")
    for c in corpus.clauses:
        assert not (c.start <= sig < c.end)
        assert not (c.start <= pre < c.end)
        assert "法定代表人" not in c.text


@pytest.mark.parametrize(
    "cid, fragment",
    [
        ("M-20", "超出提供电路的有效距离。"),  # joined across a page break
        ("M-11", "否则，乙方有权终止本协议"),  # joined across a line break
        ("M-23", "50M： 5100元/月"),
        ("A1-4.2", "例：4月账单计费周期为 3月 31日 0时至 4月 29日 23时 59分 59秒"),
        ("A1-2.5.4", "（8）其他违反法律法规、部门规章或国家政策的内容。"),
        ("A2-8", "4）含有虚假的信息源、发件人、路由等信息的电子邮件。"),
        ("A1-6.4", "违约金金额为剩余的服务期限对应的服务费用"),
    ],
)
def test_clean_text_joins_lines_and_keeps_sub_items(corpus, cid, fragment):
    assert fragment in corpus.get(cid).text


def test_sub_items_start_their_own_line(corpus):
    lines = corpus.get("M-20").text.split("\n")
    assert [ln[:3] for ln in lines[1:]] == ["（1）", "（2）", "（3）"]


@pytest.mark.parametrize(
    "cid, title",
    [
        ("A1-4.5", "附件一 沃云服务条款 › 第四条 资费标准和付费方式 › 4.5"),
        ("A1-2.5.4", "附件一 沃云服务条款 › 第二条 甲方权利和义务 › 2.5 › 2.5.4"),
        ("A1-8", "附件一 沃云服务条款 › 第八条 权利义务的转让"),
        ("M-23", "云专线产品入网协议 › 第二十三条"),
        ("A2-8", "附件二 互联网用户入网责任书 › 8"),
    ],
)
def test_heading_paths(corpus, cid, title):
    assert corpus.get(cid).title == title


def test_offsets_point_at_the_clause_number(corpus):
    assert corpus.text[corpus.get("M-23").start :].startswith("二十三、")
    assert corpus.text[corpus.get("A1-10.1.1").start :].startswith("10.1.1")
    assert corpus.text[corpus.get("A1-1").start :].startswith("甲方按照本合同")
    last = corpus.get("A2-9")
    assert corpus.text[last.end - 1] == "。"


@pytest.mark.parametrize(
    "cid, name",
    [("M-9", "主协议第九条"), ("M-23", "主协议第二十三条"), ("A1-4.5", "附件一第4.5条"), ("A1-8", "附件一第八条"), ("A2-8", "附件二第8条")],
)
def test_clause_names(cid, name):
    assert clause_name(cid) == name


def test_unknown_clause_names_the_valid_ids(corpus):
    with pytest.raises(ClauseNotFound) as e:
        corpus.get("M-50")
    assert "M-49" in str(e.value) and "A2-9" in str(e.value)


def test_join_lines_closes_wrapped_lines_but_keeps_paragraphs():
    wrapped = "甲" * 50
    assert join_lines([wrapped, "乙。"]) == wrapped + "乙。"
    assert join_lines(["短句。", "下一段"]) == "短句。\n下一段"
    assert join_lines(["a" * 90 + " foo", "bar"]) == "a" * 90 + " foo bar"


def test_unrecognised_text_is_refused():
    with pytest.raises(ValueError):
        parse("这不是合同。\n")


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("第十五条讲的什么", ["M-15"]),
        ("主协议第二十九条是什么", ["M-29"]),
        ("附件一第4.5条说了啥", ["A1-4.5"]),
        ("沃云服务条款第八条", ["A1-8"]),
        ("责任书第8条", ["A2-8"]),
        ("合同第23条和第二十九条", ["M-23", "M-29"]),
        # A law's articles are not the contract's; nor is a clause the contract does not have.
        ("电信条例第十五条原文", []),
        ("《网络安全法》第十条", []),
        ("33号令（非经营性互联网信息服务备案管理办法）第十八条", []),
        ("第99条", []),
    ],
)
def test_clauses_named_by_number_are_read_back_as_ids(text, ids):
    known = {"M-15", "M-23", "M-29", "M-18", "M-10", "A1-4.5", "A1-8", "A2-8"}
    assert referenced_ids(text, known) == ids
    # The names the assistant itself gives clauses read back as the same ids.
    assert all(referenced_ids(clause_name(cid), known) == [cid] for cid in ids)
