"""Career facts computed in code from a CV's experience, for `recommend`: how many roles, how long in
total, gaps and overlaps between roles, and whether the target job looks like a career change.

The model is handed these facts instead of being asked to do date arithmetic. The CV is the
frontend's CVData, possibly partial or odd (missing dates, text in place of objects), so every
reading here tolerates what it cannot use: such a role still counts, but stays out of the timeline
(`undated_roles`).

Dates come from `startDateValue`/`endDateValue` (`{year, month, day, isPresent}`) when usable, else
from the `startDate`/`endDate` text. A date known only to the year is a range of months (January to
December), and gaps and overlaps are judged conservatively: a gap counts only if it exceeds six
months even at its shortest reading, an overlap only if it exists at its shortest reading, so
"2013 - 2015" followed by "2015 - present" is neither.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from cv_jobs.job_types.dates import DateValue, parse_cv_date

LONG_GAP_MONTHS = 6  # a gap longer than this is worth a template decision
RECENT_ROLES = 2  # whose titles are compared with the job description
MAX_ROLES = 50  # a CV with more entries than this is read up to here
_TITLE_LINE_MAX_WORDS = 12

# Words of a job title that say nothing about the field of work.
_NOISE_WORDS = """senior junior jr sr lead principal staff chief head associate assistant intern internship
trainee apprentice mid level entry graduate grad new and the for with from into at in of to on or part
full time contract contractor freelance freelancer temporary remote hybrid"""
_TITLE_NOISE = frozenset(_NOISE_WORDS.split())
_SUFFIXES = ("ment", "ing", "ers", "er", "es", "e", "s")
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")


@dataclass(frozen=True)
class _Month:
    """A date as a month index (year * 12 + month - 1), earliest and latest reading."""

    low: int
    high: int


@dataclass(frozen=True)
class Role:
    title: str
    company: str
    start: _Month
    end: _Month
    ongoing: bool


@dataclass(frozen=True)
class Gap:
    after: str  # "title at company" of the role before the gap
    before: str  # of the role after it
    months: int  # at its shortest reading


@dataclass(frozen=True)
class Overlap:
    first: str
    second: str
    months: int  # at its shortest reading


@dataclass(frozen=True)
class CareerFacts:
    role_count: int
    dated_roles: int
    undated_roles: int  # roles whose dates could not be read: counted, but not on the timeline
    total_months: int  # months covered by at least one dated role; a year-only date spans the year
    gaps: tuple[Gap, ...]  # gaps over LONG_GAP_MONTHS between consecutive roles, sorted by start
    overlaps: tuple[Overlap, ...]
    months_since_last_role: int | None  # None while a role is ongoing or nothing is dated
    recent_titles: tuple[str, ...]
    title_words_in_job_description: tuple[str, ...]
    career_change: bool  # no significant word of the recent titles occurs in the target job
    linear_career: bool  # some experience, no long gap, no career change

    @property
    def long_gap(self) -> bool:
        return bool(self.gaps)

    def as_data(self) -> dict[str, Any]:
        """The facts as JSON for a prompt's data block."""
        data = asdict(self)
        data["long_gap"] = self.long_gap
        data["total_years"] = round(self.total_months / 12, 1)
        return data


def career_facts(
    cv_data: Mapping[str, Any], job_description: str, *, today: date | None = None
) -> CareerFacts:
    today = today or date.today()
    now = today.year * 12 + today.month - 1
    entries = _entries(cv_data)
    roles = [role for role in (_role(entry, now) for entry in entries) if role is not None]
    ordered = sorted(roles, key=lambda role: (role.start.low, role.end.low))
    recent = _recent_titles(entries, ordered)
    found = _title_words_found(recent, job_description)
    career_change = bool(_significant_words(" ".join(recent))) and not found
    gaps = _gaps(ordered)
    return CareerFacts(
        role_count=len(entries),
        dated_roles=len(roles),
        undated_roles=len(entries) - len(roles),
        total_months=_covered_months(ordered),
        gaps=gaps,
        overlaps=_overlaps(ordered),
        months_since_last_role=_months_since_last_role(ordered, now),
        recent_titles=tuple(recent),
        title_words_in_job_description=tuple(sorted(found)),
        career_change=career_change,
        linear_career=bool(entries) and not gaps and not career_change,
    )


def _entries(cv_data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    experience = cv_data.get("experience") if isinstance(cv_data, Mapping) else None
    if not isinstance(experience, list):
        return []
    return [entry for entry in experience if isinstance(entry, Mapping)][:MAX_ROLES]


def _text(entry: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = entry.get(name)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def _label(role: Role) -> str:
    return " at ".join(part for part in (role.title, role.company) if part) or "an untitled role"


def _role(entry: Mapping[str, Any], now: int) -> Role | None:
    start = _date(entry.get("startDateValue"), entry.get("startDate"))
    end = _date(entry.get("endDateValue"), entry.get("endDate"))
    if start is None or start.isPresent or end is None:
        return None
    start_month = _months(start)
    end_month = _Month(now, now) if end.isPresent else _months(end)
    if start_month is None or end_month is None or end_month.high < start_month.low:
        return None  # unreadable, or ends before it starts: not a fact we can place
    return Role(
        title=_text(entry, "role", "title", "position"),
        company=_text(entry, "company", "employer"),
        start=start_month,
        end=end_month,
        ongoing=end.isPresent,
    )


def _date(value: Any, text: Any) -> DateValue | None:
    """The structured value when it says something, else the text as the CV wrote it."""
    if isinstance(value, Mapping):
        if value.get("isPresent") is True:
            return DateValue(isPresent=True)
        year, month = _int(value.get("year")), _int(value.get("month"))
        if year is not None and 1900 <= year <= 2200:
            return DateValue(year=year, month=month if month is not None and 1 <= month <= 12 else None)
    return parse_cv_date(text) if isinstance(text, str) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _months(value: DateValue) -> _Month | None:
    if value.year is None:
        return None
    base = value.year * 12
    if value.month is None:
        return _Month(base, base + 11)
    return _Month(base + value.month - 1, base + value.month - 1)


def _covered_months(roles: list[Role]) -> int:
    """Months inside at least one role (overlaps counted once), counting both end months."""
    total = 0
    covered_until = -1
    for role in roles:
        start, end = role.start.low, role.end.high
        if end <= covered_until:
            continue
        total += end - max(start, covered_until + 1) + 1
        covered_until = end
    return total


def _gaps(roles: list[Role]) -> tuple[Gap, ...]:
    gaps = []
    # The role reaching furthest so far: a short role inside a long one leaves no gap after it.
    reach: Role | None = None
    for role in roles:
        if reach is not None:
            shortest = role.start.low - reach.end.high - 1
            if shortest > LONG_GAP_MONTHS:
                gaps.append(Gap(after=_label(reach), before=_label(role), months=shortest))
        if reach is None or role.end.high > reach.end.high:
            reach = role
    return tuple(gaps)


def _overlaps(roles: list[Role]) -> tuple[Overlap, ...]:
    overlaps = []
    for index, first in enumerate(roles):
        for second in roles[index + 1 :]:
            # A month in which one role ends and the next starts is a switch, not an overlap.
            shortest = min(first.end.low, second.end.low) - max(first.start.high, second.start.high)
            if shortest > 0:
                overlaps.append(Overlap(first=_label(first), second=_label(second), months=shortest))
    return tuple(overlaps)


def _months_since_last_role(roles: list[Role], now: int) -> int | None:
    if not roles or any(role.ongoing for role in roles):
        return None
    return max(0, now - max(role.end.high for role in roles))


def _recent_titles(entries: list[Mapping[str, Any]], ordered: list[Role]) -> list[str]:
    """The titles of the most recent roles: by start date when dated, else in the CV's own order
    (CVs list the newest first)."""
    titles = [role.title for role in reversed(ordered) if role.title]
    if not titles:
        titles = [_text(entry, "role", "title", "position") for entry in entries]
    return [title for title in titles if title][:RECENT_ROLES]


def _significant_words(text: str) -> dict[str, str]:
    """Stem -> the word as written (lower case), for the words that say what the work is."""
    words: dict[str, str] = {}
    for word in _WORD.findall(text.casefold()):
        if len(word) > 2 and word not in _TITLE_NOISE:
            words.setdefault(_stem(word), word)
    return words


def _stem(word: str) -> str:
    # Enough to match "nurse"/"nurses" and "engineer"/"engineering"; not a linguistic stemmer.
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word, stripped = word[: -len(suffix)], True
                break
    return word


def _title_words_found(titles: list[str], job_description: str) -> set[str]:
    """Significant words of `titles` found in the job's title line (the description's first line
    when it reads like a title), else anywhere in the description.

    The title line matters most: a data analyst posting that mentions working "with nurses" is
    still a career change for a nurse."""
    lines = [line.strip() for line in job_description.splitlines() if line.strip()]
    target = job_description
    if lines and len(lines[0].split()) <= _TITLE_LINE_MAX_WORDS:
        target = lines[0]
    wanted = _significant_words(target)
    return {word for stem, word in _significant_words(" ".join(titles)).items() if stem in wanted}
