"""A small heuristic CV reader for the FAKE providers: plain CV text in, a dict in the shape of
`CvOut` out (the frontend's field names, dates as written).

It is no model and does not try to be one: it knows the header (name first, then contact details),
the usual headings, "Label: a, b, c" skill lines, and leaves each line's entry to `cv_entries`
(roles with date ranges, degrees, projects, certifications) - enough that two different CVs give
two different results with their own names, employers and dates. Tuned on the CVs in `samples/`.
"""

from __future__ import annotations

import re
from typing import Any

from local.fakes.answers import cv_entries
from local.fakes.answers.cv_entries import DASHES, DEGREE, URL, split_items

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\(\+?\d{1,4}\)|\+\d{1,4})?[\s.-]?\d[\d\s.-]{5,}\d")
_LOCATION = re.compile(r"^[^\W\d][\w .'-]*\s*[,/]\s*[^\W\d][\w .'-]*$")
_HEADER_SEPARATOR = re.compile(r"\s+[|·•]\s+|\s+-\s+")
_BULLET = re.compile(r"^[-*•·▪‣]\s*")
_HEADER_MAX_LINES = 6

_HEADINGS = {
    "summary": {"summary", "profile", "about", "about me", "objective", "professional summary"},
    "experience": {
        "experience",
        "work experience",
        "professional experience",
        "work history",
        "employment",
        "employment history",
    },
    "education": {"education", "academic background"},
    "projects": {"projects", "personal projects", "side projects"},
    "skills": {"skills", "technical skills", "key skills"},
    "certifications": {"certifications", "certificates", "licenses", "licences", "licenses & certifications"},
    "languages": {"languages"},
}
_SECTION_OF = {heading: section for section, headings in _HEADINGS.items() for heading in headings}
_SKILL_LINE = re.compile(
    r"^(?P<label>technical(?: skills)?|soft(?: skills)?|skills|tools|languages|spoken languages|i speak)"
    r"\s*:?\s+(?P<items>.+)$",
    re.IGNORECASE,
)
# Tools a project line may name that a CV's skills list often leaves out.
_COMMON_TECH_TEXT = """python go java javascript typescript react flask django fastapi sklearn pandas numpy
boto3 sql firebase docker kubernetes aws node.js nodejs excel tableau"""
_COMMON_TECH = frozenset(_COMMON_TECH_TEXT.split())


def read_cv(text: str) -> dict[str, Any]:
    """The CV's facts in the shape of `CvOut` (target_job is left to the caller)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    # The header runs to the first blank line or heading.
    header_end = next((i for i, line in enumerate(lines) if not line or _section(line)), len(lines))
    header_end = min(max(header_end, 1), _HEADER_MAX_LINES)
    cv = _empty_cv()
    _read_header(lines[:header_end], cv["personal"])
    _Body(cv).read(lines[header_end:])
    return cv


def target_job(job_description: str) -> dict[str, str | None]:
    """The job's title (its first line, up to a dash) and the company, when a line starts with one."""
    lines = [line.strip() for line in job_description.splitlines() if line.strip()]
    title = re.split(rf"\s+[{DASHES}|]\s+|\s*\u2014\s*", lines[0])[0].strip() if lines else ""
    # "Lumen Health is building …": a capitalised name opening a sentence about itself.
    starts = (re.match(r"^(?P<company>(?:[A-Z][\w&.'-]*\s){1,4})(?:is|are)\s", line) for line in lines)
    company = next((match["company"].strip() for match in starts if match), None)
    return {"title": title or None, "company": company}


def _empty_cv() -> dict[str, Any]:
    return {
        "personal": dict.fromkeys(("name", "email", "phone", "location", "website", "linkedin", "github")),
        "professional_summary": None,
        "experience": [],
        "education": [],
        "projects": [],
        "skills": {"technical": [], "soft": [], "languages": []},
        "licenses_certifications": [],
        "target_job": None,
    }


def _read_header(lines: list[str], personal: dict[str, Any]) -> None:
    segments = [part.strip() for line in lines for part in _HEADER_SEPARATOR.split(line) if part.strip()]
    if segments:
        personal["name"] = segments.pop(0)
    for segment in segments:
        if (email := _EMAIL.search(segment)) and not personal["email"]:
            personal["email"] = email.group()
        elif URL.fullmatch(segment) or segment.lower().startswith(("http", "www.")):
            kind = "linkedin" if "linkedin" in segment else "github" if "github." in segment else "website"
            personal[kind] = personal[kind] or segment
        elif _PHONE.fullmatch(segment) and 8 <= sum(char.isdigit() for char in segment) <= 15:
            personal["phone"] = personal["phone"] or segment
        elif _LOCATION.match(segment) and not personal["location"]:
            personal["location"] = segment
        # Anything else (a headline such as "Senior Backend Engineer") has no field in CvOut.


class _Body:
    """Walks the lines after the header, section by section."""

    def __init__(self, cv: dict[str, Any]) -> None:
        self.cv = cv
        self.section: str | None = None
        self.role: dict[str, Any] | None = None
        self.summary: list[str] = []
        self.project_descriptions: list[str] = []

    def read(self, lines: list[str]) -> None:
        for line in lines:
            if line:
                self._line(line)
        self.cv["professional_summary"] = " ".join(self.summary) or None
        # Tech stacks last: a project line is matched against all of the CV's skills.
        for project, description in zip(self.cv["projects"], self.project_descriptions, strict=True):
            project["tech_stack"] = self._tech_stack(description)

    def _line(self, line: str) -> None:
        if section := _section(line):
            self.section, self.role = section, None
            return
        if self._skills(line):
            return
        bullet = _BULLET.match(line) is not None
        text = _BULLET.sub("", line)
        section = self.section
        if section == "summary":
            self.summary.append(text)
        elif section == "education" or (section is None and DEGREE.search(text)):
            self.cv["education"].append(cv_entries.education(text))
        elif section == "projects":
            project = cv_entries.project(text)
            self.cv["projects"].append(project)
            self.project_descriptions.append(project["description"] or "")
        elif section == "certifications":
            self.cv["licenses_certifications"].append(cv_entries.certification(text))
        elif section in ("skills", "languages"):
            self.cv["skills"]["technical" if section == "skills" else "languages"] += split_items(text)
        elif (dates := cv_entries.date_range(text)) and not bullet:
            self._add_role(cv_entries.role(dates))
        elif self.role is not None and bullet:
            self.role["achievements"].append(text)
        elif self.role is not None:
            self.role["description"] = " ".join(filter(None, [self.role["description"], text]))
        elif section == "experience":
            self._add_role(cv_entries.role((None, None, text)))
        else:  # text before any entry and under no heading: the CV's own introduction
            self.summary.append(text)

    def _skills(self, line: str) -> bool:
        """A "Technical: a, b" / "Languages: …" / "i speak …" line, wherever it stands."""
        match = _SKILL_LINE.match(line)
        labelled = match and (":" in line or " " in match["label"] or self.section in ("skills", "languages"))
        if not match or not labelled:
            return False
        label = match["label"].lower()
        kind = "languages" if "speak" in label or "language" in label else label.split()[0]
        kind = kind if kind in ("technical", "soft", "languages") else "technical"
        self.cv["skills"][kind] += split_items(match["items"])
        return True

    def _add_role(self, role: dict[str, Any]) -> None:
        self.role = role
        self.cv["experience"].append(role)

    def _tech_stack(self, description: str) -> list[str]:
        known = set(_COMMON_TECH)
        for skill in self.cv["skills"]["technical"]:
            known.update(word.casefold() for word in re.findall(r"[\w.+#-]+", skill))
        found = [
            word for word in re.findall(r"[\w+#]+(?:[.-][\w+#]+)*", description) if word.casefold() in known
        ]
        if ";" in description:  # "…; Python, boto3, Rich." — a list after the last semicolon
            found += [item for item in split_items(description.rsplit(";", 1)[1]) if len(item.split()) <= 2]
        return list(dict.fromkeys(found))


def _section(line: str) -> str | None:
    return _SECTION_OF.get(line.rstrip(":").strip().casefold())
