"""The registry: every formula documented and cited, inputs validated into clear errors, JSON form."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import pytest

from assistant.calc import REGISTRY, catalogue, run
from assistant.calc.vocabulary import vocabulary
from assistant.calc.registry import DEFERRED, Outcome, _inputs_model
from assistant.calc.values import Money
from assistant.errors import CalcInputError, CalculatorNotFound


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_formula_has_a_one_line_docstring_title_and_clauses(name):
    formula = REGISTRY[name]
    assert formula.summary and "\n" not in formula.summary
    assert formula.summary == (formula.func.__doc__ or "").strip()
    assert formula.title and formula.clauses


def test_clause_ids_are_well_formed(assert_clause_ids_exist):
    assert_clause_ids_exist(None)


def test_clause_id_check_reports_unknown_ids(assert_clause_ids_exist):
    with pytest.raises(AssertionError, match="M-23"):
        assert_clause_ids_exist({"M-29"})


def test_clause_id_check_passes_with_every_cited_id(assert_clause_ids_exist):
    assert_clause_ids_exist({c for f in REGISTRY.values() for c in f.clauses})


def test_trigger_vocabulary_covers_exactly_the_registry():
    specs = vocabulary().calculators
    assert set(specs) == set(REGISTRY)
    for name, spec in specs.items():
        formula = REGISTRY[name]
        known = set(formula.inputs.model_fields) | formula.source_names()
        assert {r.name for r in spec.roles} <= known, name
        assert set(spec.examples) <= known and set(spec.defaults) <= known, name
        assert set(formula.required) <= {r.name for r in spec.roles}, name
        assert "answer" in spec.answers or "answer_true" in spec.answers, name


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[calculators.late_fee.roles]\n", "[calculators.late_fee.roles]\nrate = { kind = \"money\" }\n"),
         "neither inputs nor derivation facts"),
        (('owed = { kind = "money"', 'owed = { kind = "cash"'), "kind must be one of"),
        (('days_overdue = { kind = "days"', 'days_overdue = { kind = "days", colour = "red"'), "unknown keys"),
        (('planned = { kind = "flag", yes = ["planned"]', 'planned = { kind = "flag", yes = ["scheduled"]'),
         "needs yes/no lexicons"),
        (('default_named = ["开户费"', 'default_named = [100, "开户费"'), "default_named"),
        (('days_overdue = { kind = "days"', 'days_overdue = { kind = "days", line_tariff = true'), "line_tariff"),
        # a 'now' word tells the day, never the time of day
        (('paid_at = { kind = "datetime",', 'paid_at = { kind = "datetime", now = ["刚交"],'), "now words decide a date input only"),
        (('monthly_fee = { kind = "money", line_tariff = true', 'monthly_fee = { kind = "money", line_tariff = "yes"'),
         "line_tariff"),
        # only a span is fixed (not lengthened by time passing), and fixed is a yes or a no
        (('owed = { kind = "money"', 'owed = { kind = "money", fixed = true'), "fixed must be"),
        (('term_months = { kind = "months", fixed = true', 'term_months = { kind = "months", fixed = 1'), "fixed must be"),
        (("[calculators.first_payment.parts]\nprorated_fee", "[calculators.first_payment.parts]\nprorated_fees"),
         "parts: no other calculator"),
        (('"不含开户费", "不算开户费"', '"re:不含(开户费", "不算开户费"'), "not a regular expression"),
        (("[calculators.late_fee]\n", "[calculators.late_fees]\n"), "no such calculator"),
        (('"滞纳金" = 2.5', '"滞纳金" = -1'), "weight must be > 0"),
    ],
)
def test_a_broken_vocabulary_is_refused_naming_the_problem(tmp_path, edit, message):
    from assistant.calc.vocabulary import TRIGGERS_PATH, VocabularyError, load

    text = TRIGGERS_PATH.read_text(encoding="utf-8")
    assert edit[0] in text, edit[0]
    bad = tmp_path / "triggers.toml"
    bad.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(VocabularyError, match=message):
        load(bad)


def test_catalogue_lists_every_calculator_with_a_schema():
    entries = catalogue()
    assert [e["name"] for e in entries] == list(REGISTRY)
    for entry in entries:
        # Fields may be added to the catalogue (it is an API), never removed.
        assert set(entry) >= {"name", "title", "summary", "clause_ids", "input_schema", "one_of", "derivations"}
        assert entry["input_schema"]["type"] == "object"
        for d in entry["derivations"]:
            assert set(d["from"]) == set(d["input_schema"]["properties"]) and d["clause_ids"]
    json.dumps(entries, ensure_ascii=False)


def test_unknown_calculator_names_the_valid_ones():
    with pytest.raises(CalculatorNotFound) as exc:
        run("late_fees", {})
    assert "late_fee" in str(exc.value) and "late_fee" in exc.value.valid


def test_money_serialises_as_json_numbers_with_two_decimals():
    dumped = run("late_fee", {"owed": "5000", "days_overdue": 10}).model_dump(mode="json")
    assert dumped["result"] == 150.0 and isinstance(dumped["result"], float)
    split = run("vat_split", {"amount": 100}).model_dump(mode="json")["result"]
    assert split == {"total": 100.0, "pre_tax": 94.34, "tax": 5.66}
    assert all(isinstance(v, float) for v in split.values())
    assert json.loads(run("vat_split", {}).model_dump_json())["result"]["tax"] == 5.66


def test_dates_serialise_as_iso_strings():
    dumped = run("contract_term", {"start_on": "2026-03-01"}).model_dump(mode="json")
    assert dumped["inputs"]["start_on"] == "2026-03-01"
    assert dumped["result"] == {"end": "2027-03-01", "notice_by": "2027-01-30"}


def test_result_carries_clause_ids_and_filled_in_steps():
    result = run("outage_credit", {"monthly_fee": 5100, "outage_hours": 24})
    assert result.clause_ids == ["M-36"] and result.unit == "元"
    assert "5100 × 12 ÷ 365 = 167.67 元/天" in result.steps[0]


@pytest.mark.parametrize(
    ("name", "inputs", "field", "fragment"),
    [
        ("late_fee", {"owed": "-5000", "days_overdue": 10}, "owed", "必须大于0"),
        ("late_fee", {"owed": "0", "days_overdue": 10}, "owed", "必须大于0"),
        ("late_fee", {"owed": "5000", "days_overdue": -1}, "days_overdue", "不能小于0"),
        ("late_fee", {"owed": "5000", "bill_month": "2026-04"}, "days_overdue", "缺少逾期天数"),
        ("late_fee", {"owed": "5000", "bill_month": "2026-13", "paid_on": "2026-06-01"}, "bill_month", "YYYY-MM"),
        ("late_activation_credit", {"accepted_on": "2026-03-10", "activated_on": "2026-03-02"}, "activated_on", "早于受理日期"),
        ("early_termination_penalty", {"term_months": 12, "months_used": 12, "monthly_fee": 100}, "months_used", "没有剩余服务期"),
        ("first_payment", {}, "monthly_fee", "缺少月租费（元）或专线带宽（M）"),
        ("contract_term", {"years": 2}, "start_on", "缺少起租日期或协议到期日"),
        ("late_fee", {"owed": "5000000000", "days_overdue": 10}, "owed", "超过合理范围"),
        ("late_fee", {"owed": "5000", "days_overdue": 99999}, "days_overdue", "超过合理范围"),
        ("late_fee", {"owed": "五千", "days_overdue": 10}, "owed", "有效数字"),
        ("late_fee", {"owed": "NaN", "days_overdue": 10}, "owed", "有效数字"),
        ("late_fee", {"days_overdue": 10}, "owed", "缺少欠费金额"),
        ("late_fee", {"owed": 1, "days_overdue": 1, "rate": 2}, "rate", "没有输入项"),
        ("prorated_fee", {"monthly_fee": 5100, "completion_date": "2026-02-30"}, "completion_date", "不是有效的日期"),
        ("outage_credit", {"monthly_fee": 5100, "outage_hours": 800}, "outage_hours", "超过合理范围"),
        ("outage_credit", {"monthly_fee": 5100, "outage_hours": -1}, "outage_hours", "必须大于0"),
        ("billing_cycle", {"month": "2026-13"}, "month", "YYYY-MM"),
        ("line_fee", {"bandwidth_mbps": -50}, "bandwidth_mbps", "不能小于1"),
        ("takedown_limit", {"events": -1}, "events", "不能小于0"),
        ("early_termination_penalty", {"remaining_months": 3}, "monthly_fee", "月服务费"),
    ],
)
def test_bad_inputs_raise_a_clear_error_naming_the_field(name, inputs, field, fragment):
    with pytest.raises(CalcInputError) as exc:
        run(name, inputs)
    assert exc.value.field == field
    assert fragment in exc.value.message


def test_business_days_in_an_uncovered_year_are_refused_not_guessed():
    with pytest.raises(CalcInputError) as exc:
        run("activation_deadline", {"accepted_on": "2026-12-28"})   # the 4th business day falls in 2027
    assert exc.value.field == "accepted_on"
    assert "2027年" in exc.value.message and "尚未收录" in exc.value.message


def test_force_majeure_termination_refuses_notice_before_a_month():
    with pytest.raises(CalcInputError) as exc:
        run("force_majeure_termination", {"notice_on": "2026-08-19", "started_on": "2026-07-20"})
    assert exc.value.field == "notice_on" and "2026年8月20日" in exc.value.message


def test_every_cited_clause_id_exists_in_the_parsed_corpus(assert_clause_ids_exist, corpus):
    assert_clause_ids_exist(set(corpus.ids))


def test_deferred_inputs_are_asked_for_but_optional():
    formula = REGISTRY["outage_credit"]
    assert formula.deferred == {"monthly_fee"}
    assert formula.required == ["outage_hours", "monthly_fee"]  # asked for with the required ones
    assert not formula.inputs.model_fields["monthly_fee"].is_required()


@pytest.mark.parametrize(
    ("name", "verdict_only"),
    [
        ("termination_notice_by", {"notice_on"}),
        ("contract_term", {"notice_on"}),
        ("earliest_termination", set()),  # its notice date is what it computes from
        ("first_payment", set()),
    ],
)
def test_inputs_that_only_decide_a_verdict_are_marked(name, verdict_only):
    assert REGISTRY[name].verdict_only == verdict_only


def test_a_deferred_input_must_default_to_none():
    def bad(fee: Annotated[Money, DEFERRED]) -> Outcome:
        """结果 = fee。"""
        return Outcome(fee, "元")

    with pytest.raises(TypeError, match="deferred input fee must default to None"):
        _inputs_model("bad", bad)


@pytest.mark.parametrize(
    ("name", "field", "default"),
    [("vat_split", "amount", Decimal("100")), ("line_fee", "months", 1), ("outage_credit", "planned", False),
     ("late_fee", "owed", None), ("line_fee", "no_such_input", None)],
)
def test_a_formula_names_each_input_s_default(name, field, default):
    got = REGISTRY[name].default(field)
    assert got == default and type(got) is type(default)


@pytest.mark.parametrize(
    ("gives", "question", "present", "absent"),
    [
        # with a question, only the calculators it names exempt their clauses from "the contract gives no such figure"
        ("date", "合约说服务终止后数据会在缓冲期内保留，那缓冲期到底是几天", (), ("A1-13.1", "M-44")),
        ("money", "沃云想提前不用了 要赔多少钱", ("A1-6.4",), ()),
        # … whatever they give: the months of a sublease's penalty are part of its calculation
        ("date", "转租被抓了 违约金是几个月的月租", ("M-11",), ("A1-13.1",)),
        ("money", None, ("A1-6.4", "M-23"), ()),
    ],
)
def test_the_clauses_computing_a_figure_are_those_of_the_calculators_the_question_names(gives, question, present, absent):
    from assistant.calc import clauses_computing

    clauses = clauses_computing(gives, question)
    assert set(present) <= clauses and not set(absent) & clauses


@pytest.mark.parametrize(
    ("name", "fact", "targets"),
    [
        ("late_fee", "paid_on", ["days_overdue"]),
        ("late_fee", "bill_month", ["days_overdue"]),
        ("late_activation_credit", "activated_on", ["days_late"]),
        # an input of the formula itself, or a fact no derivation of it reads, feeds nothing
        ("late_fee", "owed", []),
        ("line_fee", "paid_on", []),
    ],
)
def test_the_derivations_reading_a_fact_are_those_of_the_formulas_inputs(name, fact, targets):
    assert [d.target for d in REGISTRY[name].derivations_reading(fact)] == targets
