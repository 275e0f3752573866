"""`assistant fit`'s feature rows (calc/fit.py) over the fake index: what the service sees, never a row's own
example."""

from datetime import date

from assistant.calc.fit import Example, feature_rows, labelled_examples
from assistant.retrieval.examples import ExampleIndex
from tests.fakes import FakeEmbedder


def test_feature_rows_score_each_candidate_three_ways_with_the_examples_in_the_model_pass(fake_assistant, tmp_path):
    question = "欠费5000元逾期10天违约金多少"
    examples = ExampleIndex.build(
        [labelled for labelled in labelled_examples_of([(question, "outage_credit"), ("欠费3000元逾期5天违约金多少", "late_fee")])],
        FakeEmbedder(), tmp_path,
    )
    items = [Example(question, date(2026, 11, 24), frozenset({"late_fee"}))]
    rows = feature_rows(fake_assistant.retriever, items, examples)
    late = {variant: f for _, name, f, label, variant in rows if name == "late_fee"}
    assert set(late) == {0, 1, 2} and all(label == 1 for _, name, _, label, _ in rows if name == "late_fee")
    # Only the model pass compares the examples, and the question's own row (labelled otherwise here) never votes.
    assert late[0]["similar"] == late[1]["similar"] == 0.0
    assert late[2]["similar"] == 1.0


def labelled_examples_of(rows):
    """Labelled examples from (question, calculator) pairs, as labelled_examples() makes them from a bank part."""

    class Row:
        def __init__(self, q, calculator):
            self.q, self.calculator, self.kind = q, calculator, "calc"

    class Part:
        questions = [Row(q, c) for q, c in rows]
        conversations = []

    return labelled_examples(Part())


def test_labelled_examples_carry_the_clauses_of_lookups_and_of_conversations_lookup_turns():
    from assistant.bank import Bank

    part = Bank.model_validate({
        "questions": [
            {"id": "Z-001", "style": "chat", "today": "2026-05-01", "q": "转租会怎样", "kind": "lookup", "clauses": ["M-11"]},
            {"id": "Z-002", "style": "chat", "today": "2026-05-01", "q": "移动专线多少钱", "kind": "out_of_scope"},
            {"id": "Z-003", "style": "chat", "today": "2026-05-01", "q": "欠5000逾期10天罚多少", "kind": "calc",
             "calculator": "late_fee", "inputs": {"owed": 5000, "days_overdue": 10}, "clauses": ["M-29"]},
        ],
        "conversations": [{"id": "Z-C01", "style": "chat", "today": "2026-05-01", "turn": [
            {"q": "转租被发现了要赔多少", "kind": "clarify", "calculator": "sublease_penalty", "relation": "new"},
            {"q": "那联通能直接终止协议吗", "kind": "lookup", "clauses": ["M-11"], "relation": "lookup_prev_subject"},
        ]}],
    })
    got = [(e.text, e.label, e.out_of_scope, e.clauses) for e in labelled_examples(part)]
    assert got == [
        ("转租会怎样", "", False, ("M-11",)),
        ("移动专线多少钱", "", True, ()),
        ("欠5000逾期10天罚多少", "late_fee", False, ()),  # a calculation's clauses are its calculator's
        ("那联通能直接终止协议吗", "", False, ("M-11",)),
    ]


def test_a_rows_writer_is_its_id_prefix():
    from assistant.calc.fit import _writer

    assert [_writer(i) for i in ("A-017", "T-C16", "M-C23", "U-001")] == ["A", "T", "M", "U"]


def test_a_questions_own_writers_examples_never_vote_for_it(fake_assistant, tmp_path):
    question, sibling = "欠费5000元逾期10天违约金多少", "欠费3000元逾期5天违约金多少"
    examples = ExampleIndex.build(labelled_examples_of([(sibling, "late_fee")]), FakeEmbedder(), tmp_path)
    day = date(2026, 11, 24)
    for writer_of_sibling, voted in (("Z", 0.0), ("Y", 1.0)):
        items = [Example(question, day, frozenset({"late_fee"}), writer="Z"),
                 Example(sibling, day, frozenset({"late_fee"}), writer=writer_of_sibling)]
        rows = feature_rows(fake_assistant.retriever, items, examples)
        similar = next(f["similar"] for k, name, f, _, variant in rows if k == 0 and name == "late_fee" and variant == 2)
        # A new writer's question has no near-repeats of its own writer among the examples: nor has one fitted on.
        assert similar == voted
