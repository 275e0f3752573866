"""Official holiday schedules as data: loaded, checked, and used for the years chinese-calendar does not cover."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from assistant.calc import run, workdays
from assistant.calc.holidays import HolidayCalendar, HolidayDataError, load_calendar, load_year
from assistant.errors import CalcInputError
from assistant.settings import PROJECT_ROOT, Settings

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "holidays"
OFFICIAL_2025 = FIXTURES / "2025.toml"

# A made-up year far beyond any published schedule, for exercising the code only; never an official schedule.
TEST_YEAR = 2091
TEST_SCHEDULE = f"""
year = {TEST_YEAR}
source = "test data, not an official schedule"

[[holiday]]
name = "测试节"
first = {TEST_YEAR}-10-01
last = {TEST_YEAR}-10-05
workdays = [{TEST_YEAR}-09-29]
"""


@pytest.fixture
def installed():
    """Install schedule files for one test, restoring the project's own afterwards."""

    def install(cal: HolidayCalendar) -> None:
        workdays.use_holidays(cal)

    yield install
    workdays.use_holidays(load_calendar(PROJECT_ROOT / "corpus" / "holidays"))


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_schedule_file_gives_the_packages_answer_for_every_day_of_its_year():
    # The official 2025 notice, copied into the file format, agrees with chinese-calendar day by day.
    cal = load_calendar(None, OFFICIAL_2025)
    day = date(2025, 1, 1)
    while day.year == 2025:
        on_holiday, name = cal.detail(day)
        lib_on_holiday, lib_name = chinese_calendar.get_holiday_detail(day)
        assert on_holiday == lib_on_holiday, day
        assert (name is None) == (lib_name is None), day
        day += timedelta(days=1)
    assert cal.detail(date(2024, 12, 31)) is None  # other years are not its business


def test_a_year_beyond_the_package_is_counted_from_its_file(tmp_path, installed):
    installed(load_calendar(tmp_path / "none", _write(tmp_path, "extra.toml", TEST_SCHEDULE)))
    # Accepted Fri 9-28: Sat 9-29 is a make-up workday (1), Mon 10-1…Fri 10-5 are off, then 10-8…10-11 (2-5).
    found = run("activation_deadline", {"accepted_on": f"{TEST_YEAR}-09-28"})
    assert found.result == f"{TEST_YEAR}-10-11"
    steps = "\n".join(found.steps)
    assert "测试节调休上班" in steps and "10月1日—10月5日 测试节假期" in steps


def test_a_year_covered_by_neither_is_still_refused(tmp_path, installed):
    installed(load_calendar(tmp_path / "none", _write(tmp_path, "extra.toml", TEST_SCHEDULE)))
    with pytest.raises(CalcInputError) as exc:
        run("activation_deadline", {"accepted_on": "2026-12-28"})  # the 4th business day falls in 2027
    assert "2027年的安排尚未收录" in exc.value.message
    first, last = min(d.year for d in chinese_calendar.holidays), max(d.year for d in chinese_calendar.holidays)
    assert f"{first}—{last}、{TEST_YEAR}年" in exc.value.message


def test_a_file_wins_over_the_package_for_its_year(tmp_path, installed):
    # An operator can correct a year (a schedule changed after the package was released).
    text = OFFICIAL_2025.read_text(encoding="utf-8").replace("last = 2025-05-05", "last = 2025-05-06")
    _write(tmp_path / "holidays", "2025.toml", text)
    installed(load_calendar(tmp_path / "holidays"))
    assert workdays._holiday_detail(date(2025, 5, 6)) == (True, "劳动节")
    assert chinese_calendar.is_workday(date(2025, 5, 6))


def test_the_project_folder_and_the_settings_file_are_loaded_at_start_up(tmp_path, fake_settings, fake_assistant):
    from assistant.answer.assistant import Assistant
    from tests.fakes import FakeEmbedder

    extra = _write(tmp_path, "next-year.toml", TEST_SCHEDULE)
    settings = fake_settings.model_copy(update={"holidays_file": extra})
    try:
        Assistant.from_settings(settings, embedder=FakeEmbedder(), scope=fake_assistant.scope, rebuild=False)
        assert TEST_YEAR in workdays.covered_years()
    finally:
        workdays.use_holidays(load_calendar(PROJECT_ROOT / "corpus" / "holidays"))
    assert TEST_YEAR not in workdays.covered_years()


def test_a_broken_file_stops_start_up_with_a_clear_message(tmp_path, fake_settings, fake_assistant):
    from assistant.answer.assistant import Assistant
    from tests.fakes import FakeEmbedder

    bad = _write(tmp_path, "bad.toml", TEST_SCHEDULE.replace(f"last = {TEST_YEAR}-10-05", f"last = {TEST_YEAR + 1}-01-02"))
    settings = fake_settings.model_copy(update={"holidays_file": bad})
    with pytest.raises(HolidayDataError, match=f"bad.toml.*{TEST_YEAR + 1}-01-02 is not in {TEST_YEAR}"):
        Assistant.from_settings(settings, embedder=FakeEmbedder(), scope=fake_assistant.scope, rebuild=False)


def test_the_settings_file_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSISTANT_HOLIDAYS_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(ValueError, match="holidays_file .*missing.toml is not a file"):
        Settings()
    monkeypatch.setenv("ASSISTANT_HOLIDAYS_FILE", "")
    assert Settings().holidays_file is None


def _festival(first: str, last: str, workdays: str = "[]", name: str = "测试节") -> str:
    return f'\n[[holiday]]\nname = "{name}"\nfirst = {first}\nlast = {last}\nworkdays = {workdays}\n'


HEAD = f'year = {TEST_YEAR}\nsource = "test data"\n'
Y = TEST_YEAR


@pytest.mark.parametrize(
    "text, message",
    [
        (HEAD + _festival(f"{Y}-10-01", f"{Y + 1}-01-02"), f"{Y + 1}-01-02 is not in {Y}"),
        (HEAD + _festival(f"{Y}-10-01", f"{Y}-10-03", f"[{Y - 1}-12-30]"), f"{Y - 1}-12-30 is not in {Y}"),
        (HEAD + _festival(f"{Y}-10-05", f"{Y}-10-01"), "last day .* is before first day"),
        (HEAD + _festival(f"{Y}-10-01", f"{Y}-10-07", f"[{Y}-10-06]"), "listed both as a day off"),
        (HEAD + _festival(f"{Y}-10-01", f"{Y}-10-07") + _festival(f"{Y}-10-09", f"{Y}-10-10", f"[{Y}-10-06]", "另一节"),
         "listed both as a day off"),
        (HEAD + _festival(f"{Y}-10-01", f"{Y}-10-07") + _festival(f"{Y}-10-07", f"{Y}-10-08", name="另一节"),
         f"{Y}-10-07 is already a day off of 测试节"),
        (HEAD + _festival(f"{Y}-10-01", f"{Y}-10-03", f"[{Y}-10-04]"), "is a weekday"),  # 2091-10-04 is a Thursday
        (HEAD, "holiday: Field required"),
        (HEAD.replace("source", "sauce") + _festival(f"{Y}-10-01", f"{Y}-10-03"), "source: Field required"),
        (HEAD + _festival(f"{Y}-10-01", f"{Y}-10-03") + "extra = 1\n", "extra: Extra inputs are not permitted"),
        (HEAD + _festival(f"{Y}-13-01", f"{Y}-10-03"), "not valid TOML"),
        (HEAD + _festival('"1 October"', f"{Y}-10-03"), "holiday.0.first"),
    ],
)
def test_bad_files_are_refused_with_the_file_and_the_problem(tmp_path, text, message):
    path = _write(tmp_path, f"{TEST_YEAR}.toml", text)
    with pytest.raises(HolidayDataError, match=message) as exc:
        load_year(path)
    assert str(path) in str(exc.value)


def test_a_file_named_after_another_year_is_refused(tmp_path):
    _write(tmp_path, "2090.toml", TEST_SCHEDULE)
    with pytest.raises(HolidayDataError, match=f"it says year = {TEST_YEAR}; name it {TEST_YEAR}.toml"):
        load_calendar(tmp_path)


def test_a_year_given_twice_is_refused(tmp_path):
    _write(tmp_path / "holidays", f"{TEST_YEAR}.toml", TEST_SCHEDULE)
    extra = _write(tmp_path, "extra.toml", TEST_SCHEDULE)
    with pytest.raises(HolidayDataError, match=f"year {TEST_YEAR} is already given by"):
        load_calendar(tmp_path / "holidays", extra)


def test_the_shipped_schedules_are_valid():
    # Whatever corpus/holidays holds loads; with nothing there, the package alone is used.
    cal = load_calendar(PROJECT_ROOT / "corpus" / "holidays")
    assert all(path.stem == str(year) for year, path in cal.sources.items())
