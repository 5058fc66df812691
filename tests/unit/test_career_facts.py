"""Career facts computed in code for `recommend`: roles, months of experience, gaps, overlaps and
the career-change signal, on hand-made CVs and on partial or odd ones."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cv_jobs.job_types.career_facts import career_facts
from tests.unit.samples import sample

TODAY = date(2026, 11, 15)
PLATFORM_JOB = sample("jd_platform_engineer.txt")
ANALYST_JOB = sample("jd_health_data_analyst.txt")


def _role(title: str, start: Any, end: Any, company: str = "Acme", **extra: Any) -> dict[str, Any]:
    return {"role": title, "company": company, "startDate": start, "endDate": end, **extra}


def _cv(*roles: dict[str, Any]) -> dict[str, Any]:
    return {"personal": {"name": "Test Person"}, "experience": list(roles)}


BACKEND = _cv(
    _role("Senior Backend Engineer", "Mar 2021", "Present", "Fjordpay AB"),
    _role("Backend Engineer", "Aug 2017", "Feb 2021", "Nordcart Logistics"),
    _role("Junior Developer", "Jun 2016", "Jul 2017", "Kodverket Consulting"),
)


def test_a_steady_career_in_one_field_is_linear() -> None:
    # Given three back-to-back engineering roles, the last one ongoing
    # When the facts are computed against an engineering job
    facts = career_facts(BACKEND, PLATFORM_JOB, today=TODAY)
    # Then every month from Jun 2016 to Nov 2026 counts once, with no gap, overlap or change
    assert facts.role_count == facts.dated_roles == 3
    assert facts.undated_roles == 0
    assert facts.total_months == 14 + 43 + 69
    assert facts.gaps == ()
    assert facts.overlaps == ()
    assert facts.months_since_last_role is None
    assert facts.recent_titles == ("Senior Backend Engineer", "Backend Engineer")
    assert facts.title_words_in_job_description == ("engineer",)
    assert facts.career_change is False
    assert facts.linear_career is True


def test_a_nurse_applying_as_data_analyst_is_a_career_change() -> None:
    # Given a nurse's roles with year-only dates ("2013 - 2015", then "2015 - present")
    cv = _cv(_role("ICU Staff Nurse", "2015", "present"), _role("Ward Nurse", "2013", "2015"))
    # When the facts are computed against a data analyst job that mentions "nurses" in its body
    facts = career_facts(cv, ANALYST_JOB, today=TODAY)
    # Then the job's title line decides: a career change; the shared year is neither gap nor overlap
    assert facts.career_change is True
    assert facts.title_words_in_job_description == ()
    assert facts.linear_career is False
    assert facts.gaps == ()
    assert facts.overlaps == ()
    assert facts.total_months == (2026 - 2013) * 12 + 11  # Jan 2013 to Nov 2026


def test_a_gap_over_six_months_between_roles_is_reported_with_its_length() -> None:
    # Given a role that ended in Jan 2019 and the next starting in Dec 2019 (10 months between)
    cv = _cv(_role("Data Engineer", "Dec 2019", "Present"), _role("Data Engineer", "Feb 2016", "Jan 2019"))
    # When the facts are computed
    facts = career_facts(cv, "Senior Data Engineer\nWe need a data engineer with Spark.", today=TODAY)
    # Then one gap of 10 months is reported, and the career is not linear
    [gap] = facts.gaps
    assert gap.months == 10
    assert gap.after.startswith("Data Engineer at")
    assert facts.long_gap is True
    assert facts.linear_career is False


@pytest.mark.parametrize(
    ("earlier_end", "later_start", "gap_months"),
    [
        ("Jan 2019", "Aug 2019", None),  # six months between: not over six
        ("Jan 2019", "Sep 2019", 7),
        ("2014", "2015", None),  # year-only: could be a month, so not counted
        ("2013", "2015", 12),  # at least Jan 2014 to Dec 2014
        ("2019-01", "2019-02", None),
    ],
)
def test_gaps_count_only_beyond_six_months_at_their_shortest_reading(
    earlier_end: str, later_start: str, gap_months: int | None
) -> None:
    # Given two roles with a pause between them
    cv = _cv(_role("Analyst", later_start, "Present"), _role("Analyst", "2010", earlier_end))
    # When the facts are computed
    facts = career_facts(cv, "Analyst role for a data team", today=TODAY)
    # Then only a pause longer than six months, even read generously, is a gap
    assert [gap.months for gap in facts.gaps] == ([gap_months] if gap_months else [])


def test_concurrent_roles_overlap_and_a_role_inside_another_leaves_no_gap() -> None:
    # Given a long role from 2015 to 2022 and a side role inside it, then a new role in 2022
    cv = _cv(
        _role("Engineer", "Mar 2022", "Present", "Third"),
        _role("Engineer", "Jan 2015", "Feb 2022", "First"),
        _role("Mentor", "Jan 2016", "Jun 2016", "Second"),
    )
    # When the facts are computed
    facts = career_facts(cv, "Engineer at a platform team", today=TODAY)
    # Then the side role overlaps the long one by its length, no gap follows it, months count once
    [overlap] = facts.overlaps
    assert (overlap.first, overlap.second, overlap.months) == ("Engineer at First", "Mentor at Second", 5)
    assert facts.gaps == ()
    assert facts.total_months == (2026 - 2015) * 12 + 11
    # And one role ending in the month the next starts is a switch, not an overlap
    switch = _cv(_role("Engineer", "Mar 2020", "Present"), _role("Engineer", "Jan 2018", "Mar 2020"))
    assert career_facts(switch, "Engineer", today=TODAY).overlaps == ()


def test_structured_date_values_win_over_the_text() -> None:
    # Given dates whose text is unreadable but whose values (the frontend's objects) are set
    role = _role(
        "Nurse",
        "sometime",
        "",
        startDateValue={"year": 2020, "month": 4, "day": None, "isPresent": False},
        endDateValue={"year": None, "month": None, "day": None, "isPresent": True},
    )
    # When the facts are computed
    facts = career_facts(_cv(role), ANALYST_JOB, today=TODAY)
    # Then the values place the role on the timeline: Apr 2020 to Nov 2026, ongoing
    assert facts.dated_roles == 1
    assert facts.total_months == 12 * 6 + 8
    assert facts.months_since_last_role is None


def test_an_empty_value_falls_back_to_the_text_and_strings_are_read_as_numbers() -> None:
    role = _role(
        "Nurse",
        "2019-05",
        "Dec 2020",
        startDateValue={"year": None, "month": None, "day": None, "isPresent": False},
        endDateValue={"year": "2020", "month": "12"},
    )
    facts = career_facts(_cv(role), ANALYST_JOB, today=TODAY)
    assert facts.total_months == 20  # May 2019 to Dec 2020
    assert facts.months_since_last_role == 71  # Dec 2020 to Nov 2026


@pytest.mark.parametrize(
    "cv",
    [
        {},
        {"experience": None},
        {"experience": "ten years at Acme"},
        {"experience": [None, "a string", 42, []]},
    ],
    ids=["no-experience", "null", "text", "not-objects"],
)
def test_a_cv_without_usable_experience_has_no_roles_and_no_signals(cv: dict[str, Any]) -> None:
    # Given CVs whose experience is missing or not a list of objects
    # When the facts are computed
    facts = career_facts(cv, PLATFORM_JOB, today=TODAY)
    # Then nothing is counted and nothing is claimed
    assert (facts.role_count, facts.total_months, facts.gaps, facts.overlaps) == (0, 0, (), ())
    assert facts.career_change is False
    assert facts.linear_career is False
    json.dumps(facts.as_data())


def test_roles_with_unreadable_or_impossible_dates_count_but_stay_off_the_timeline() -> None:
    # Given a partial CV: no dates, dates as numbers, an end before the start, a "present" start
    cv = _cv(
        {"role": "Platform Engineer"},
        _role("Engineer", 2019, 2020),
        _role("Engineer", "2021", "2019"),
        _role("Engineer", "Present", "2020"),
        _role("Engineer", "Jan 2022", None),
        {"company": "Acme", "startDateValue": "2020", "endDateValue": ["x"], "startDate": {"y": 1}},
    )
    # When the facts are computed
    facts = career_facts(cv, PLATFORM_JOB, today=TODAY)
    # Then every entry is a role, none is dated, and the untitled ones do not break the title signal
    assert facts.role_count == 6
    assert facts.undated_roles == 6
    assert facts.total_months == 0
    assert facts.recent_titles == ("Platform Engineer", "Engineer")
    assert facts.career_change is False


def test_recent_titles_are_the_latest_started_roles_whatever_the_cv_order() -> None:
    cv = _cv(
        _role("Barista", "2010", "2012"),
        _role("Cook", "2012", "2014"),
        _role("Backend Engineer", "2015", "Present"),
    )
    facts = career_facts(cv, PLATFORM_JOB, today=TODAY)
    assert facts.recent_titles == ("Backend Engineer", "Cook")
    assert facts.career_change is False


def test_a_job_description_without_a_title_line_is_searched_whole() -> None:
    # Given a job description whose first line is a long sentence, naming the role later
    job = (
        "We are a fast-growing hospital group looking for people who love turning data into decisions.\n"
        "You will be our new ward nurse coordinator."
    )
    cv = _cv(_role("Ward Nurse", "2013", "Present"))
    # When the facts are computed, Then the title word found anywhere means no career change
    facts = career_facts(cv, job, today=TODAY)
    assert facts.title_words_in_job_description == ("nurse", "ward")
    assert facts.career_change is False


def test_the_facts_as_prompt_data_are_json_with_derived_flags() -> None:
    cv = _cv(_role("Data Engineer", "Dec 2019", "Jun 2024"), _role("Data Engineer", "Feb 2016", "Jan 2019"))
    data = json.loads(json.dumps(career_facts(cv, "Data Engineer", today=TODAY).as_data()))
    assert data["long_gap"] is True
    assert data["total_years"] == round(data["total_months"] / 12, 1)
    assert data["gaps"][0]["months"] == 10
    assert data["months_since_last_role"] == 29  # Jun 2024 to Nov 2026
