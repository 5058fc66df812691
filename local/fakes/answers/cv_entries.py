"""One line of a CV into one entry, for the FAKE CV reader (`cv_reader`): a role, a degree, a
project or a certification, with its dates as written.

Dashes: CVs use "-", en dashes (\\u2013) and em dashes (\\u2014) alike, so the patterns accept all three.
"""

from __future__ import annotations

import re
from typing import Any

DASHES = "-\u2013\u2014"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = rf"(?:{_MONTH}\s+\d{{4}}|\d{{4}}(?:[-/.]\d{{2}}\b)?)"
_POINT = rf"(?:{_DATE}|present|current|now)"
_RANGE = re.compile(
    rf"\b(?P<start>{_DATE})(?:\s*[{DASHES}]\s*|\s+(?:to|until)\s+)(?P<end>{_POINT})\b", re.IGNORECASE
)
# "Jan-May 2024": two months sharing one year.
_SHARED_YEAR = re.compile(
    rf"\b(?P<m1>{_MONTH})\s*[{DASHES}]\s*(?P<m2>{_MONTH})\s+(?P<year>\d{{4}})\b", re.IGNORECASE
)
SINGLE_DATE = re.compile(rf"\b{_DATE}\b", re.IGNORECASE)
_EXPIRY = re.compile(rf"\b(?:expires?|expiry|valid until)\s*:?\s*(?P<date>{_DATE})\b", re.IGNORECASE)
_GPA = re.compile(r"\b(?:c?gpa|grade)\s*:?\s*(?P<value>\d+(?:[.,]\d+)?(?:\s*/\s*\d+(?:[.,]\d+)?)?)", re.I)
URL = re.compile(r"(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s,;]*", re.IGNORECASE)
# "Role — Company", "Company - Role", "Role at Company", "Name: description", "winner -> built …"
_PART_SEPARATOR = re.compile(r"\s+(?:[-\u2013\u2014|]|->|at)\s+|\s*\u2014\s*|:\s+")

DEGREE = re.compile(
    r"\b(?:b\.?\s?sc|m\.?\s?sc|b\.?\s?tech|m\.?\s?tech|b\.?\s?eng|m\.?\s?eng|ph\.?\s?d|mba|bachelor|master"
    r"|licenciatura|diploma|bootcamp|degree)\b",
    re.IGNORECASE,
)
_DEGREE_FIELD = re.compile(
    r"^(?P<degree>(?:[BM]\.?\s?(?:Sc|A|S|Eng|Tech)\.?|Ph\.?\s?D\.?|MBA))\s+(?P<field>.+)$|"
    r"^(?P<degree2>.+?)\s+(?:in|em|en|of)\s+(?P<field2>.+)$"
)
_INSTITUTION = re.compile(r"univers|institut|college|school|academy|polytechnic", re.IGNORECASE)
_ROLE_WORDS = re.compile(
    r"\b(?:engineer|developer|nurse|manager|analyst|intern(?:ship)?|assistant|designer|consultant|lead"
    r"|director|teacher|scientist|officer|specialist|administrator|architect|technician|coordinator"
    r"|programmer|researcher|founder|accountant|writer)\b",
    re.IGNORECASE,
)

Dates = tuple[str | None, str | None, str]  # start, end, the text without them


def date_range(text: str) -> Dates | None:
    """(start, end, rest) for a date range in `text` ("Mar 2021 - Present", "2009-2013"), else None."""
    if match := _RANGE.search(text):
        return match["start"], match["end"], tidy(text[: match.start()] + text[match.end() :])
    if match := _SHARED_YEAR.search(text):
        start, end = f"{match['m1']} {match['year']}", f"{match['m2']} {match['year']}"
        return start, end, tidy(text[: match.start()] + text[match.end() :])
    return None


def role(dates: Dates) -> dict[str, Any]:
    """An experience entry from a role line whose dates are already taken out."""
    start, end, rest = dates
    title, company, location = rest, "", ""
    labelled = re.match(r"^(?P<label>[a-z ]{2,20}):\s*(?P<rest>.+)$", rest, re.IGNORECASE)
    if labelled and _ROLE_WORDS.search(labelled["label"]):  # 'internship: … "Dabba Express"'
        quoted = re.search(r"[\"“](?P<name>[^\"”]+)[\"”]", labelled["rest"])
        title, company = labelled["label"], quoted["name"] if quoted else labelled["rest"]
    else:
        title = labelled["rest"] if labelled else rest  # "also: …"
        parts = _PART_SEPARATOR.split(title, maxsplit=1)
        if len(parts) == 2:
            left, right = parts
            # "Role — Company, City" or "Company, City — Role": the side naming a job is the role.
            right_is_role = _ROLE_WORDS.search(right) and not _ROLE_WORDS.search(left)
            title, place = (right, left) if right_is_role else (left, right)
            company, _, location = place.partition(",")
    return {
        "company": tidy(company) or None,
        "role": tidy(title) or None,
        "startDate": start,
        "endDate": end,
        "location": tidy(location) or None,
        "description": None,
        "achievements": [],
    }


def education(text: str) -> dict[str, Any]:
    gpa = _GPA.search(text)
    rest = tidy(_GPA.sub("", text))
    start: str | None = None
    end: str | None = None
    if dates := date_range(rest):
        start, end, rest = dates
    elif single := SINGLE_DATE.search(rest):  # one date: when it was completed
        end, rest = single.group(), tidy(rest[: single.start()] + rest[single.end() :])
    parts = re.split(r"\s*\u2014\s*|\s+\u2013\s+", rest)
    if len(parts) == 1:
        parts = split_outside_brackets(rest, ",")
    parts = [tidy(part) for part in parts if tidy(part) and not part.strip().startswith("(")]
    degree_text = next((part for part in parts if DEGREE.search(part)), parts[0] if parts else "")
    others = [part for part in parts if part != degree_text]
    institution = next((part for part in others if _INSTITUTION.search(part)), others[0] if others else None)
    degree, field = degree_text, None
    if match := _DEGREE_FIELD.match(degree_text):
        degree = match["degree"] or match["degree2"]
        field = match["field"] or match["field2"]
    return {
        "institution": institution,
        "degree": degree or None,
        "field": field,
        "startDate": start,
        "endDate": end,
        "gpa": gpa["value"] if gpa else None,
    }


def project(text: str) -> dict[str, Any]:
    """A project entry; its tech_stack is left to the caller, which knows the CV's skills."""
    link = URL.search(text)
    rest = tidy(text.replace(link.group(), "")) if link else text
    date: str | None = None
    if bracketed := re.search(r"\((\d{4})\)", rest):  # "queue-lens (2023) — …"
        date, rest = bracketed.group(1), tidy(rest.replace(bracketed.group(), ""))
    elif single := SINGLE_DATE.search(rest):  # a year inside the text stays in the text
        date = single.group()
    match = _PART_SEPARATOR.search(rest)
    name, description = (rest[: match.start()], rest[match.end() :]) if match else (rest, "")
    return {
        "name": tidy(name) or None,
        "description": description.strip() or None,
        "tech_stack": [],
        "link": link.group() if link else None,
        "startDate": date,
        "endDate": None,
    }


def certification(text: str) -> dict[str, Any]:
    expiry = _EXPIRY.search(text)
    rest = _EXPIRY.sub("", text)
    date = SINGLE_DATE.search(rest)
    rest = rest.replace(date.group(), "") if date else rest
    parts = [tidy(part) for part in split_outside_brackets(rest, ",;") if tidy(part)]
    return {
        "name": parts[0] if parts else None,
        "issuer": parts[1] if len(parts) > 1 else None,
        "date": date.group() if date else None,
        "expiry": expiry["date"] if expiry else None,
    }


def split_items(text: str) -> list[str]:
    """A list as CVs write it: commas or semicolons (outside brackets), else spaces."""
    separators = ",;" if re.search(r"[,;]", text) else " "
    return [item.strip(" .") for item in split_outside_brackets(text, separators) if item.strip(" .")]


def split_outside_brackets(text: str, separators: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += (char in "([") - (char in ")]")
        if char in separators and depth <= 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def tidy(text: str) -> str:
    """Whitespace collapsed; empty brackets and dangling separators left by a removed date dropped."""
    text = re.sub(r"\(\s*[,;]?\s*\)", "", text)
    text = re.sub(r"(?:\s*,\s*){2,}", ", ", text)
    return " ".join(text.split()).strip(f" ,;:|{DASHES}")
