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

    return labelled_examples(Part())


def test_a_rows_writer_is_its_id_prefix():
    from assistant.calc.fit import _writer

    assert [_writer(i) for i in ("A-017", "T-C16", "M-C23", "U-001")] == ["A", "T", "M", "U"]
