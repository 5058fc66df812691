"""FAKE answers for the steps that write a CV (extract; tailor's first step): the CV in the prompt's
<cv> block read by a heuristic reader (`cv_reader`), the target job from <job_description>.

Marked as fake in the free text (the summary, the tailoring notes), never in names or dates, so the
demo's facts are still the CV's own.
"""

from __future__ import annotations

import re
from typing import Any

from local.fakes.answers import FAKE_MARK, FakeCall, answers
from local.fakes.answers.cv_reader import read_cv, target_job


@answers("extract", "extract")
def extract(call: FakeCall) -> dict[str, Any]:
    cv = read_cv(call.block("cv"))
    if job_description := call.block("job_description"):
        cv["target_job"] = target_job(job_description)
    cv["professional_summary"] = _marked(cv["professional_summary"])
    return cv


@answers("tailor", "tailor")
def tailor(call: FakeCall) -> dict[str, Any]:
    job_description = call.block("job_description")
    cv = read_cv(call.block("cv"))
    cv["target_job"] = target_job(job_description)
    moved: list[str] = []
    for kind, skills in cv["skills"].items():
        wanted = [skill for skill in skills if mentions(job_description, skill)]
        cv["skills"][kind] = wanted + [skill for skill in skills if skill not in wanted]
        moved += wanted
    cv["professional_summary"] = _marked(cv["professional_summary"], "Tailored to the job description.")
    cv["tailoring_notes"] = [
        f"{FAKE_MARK} Put the skills the job description mentions first: {', '.join(moved)}."
        if moved
        else f"{FAKE_MARK} No listed skill appears in the job description; the skills keep their order."
    ]
    return cv


def mentions(text: str, skill: str) -> bool:
    """Whether `text` names the skill (its words before any bracket, as whole words)."""
    core = skill.split("(")[0].strip()
    # "react-native" is the same skill as "React Native".
    pattern = re.escape(core).replace(r"\-", r"[-\s]")
    return bool(core) and re.search(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE) is not None


def _marked(summary: str | None, lead: str = "") -> str:
    body = summary or "The CV has no summary of its own."
    return " ".join(part for part in (FAKE_MARK, lead, body) if part)
