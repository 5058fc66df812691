"""What the section jobs (`rephrase`, `inject-keyword`, `elaborate`) share: the non-blank text a
model must return, the job description as context, and the keyword rule."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

from cv_jobs.job_types.prompting import data_block

# Text a model must write: surrounding whitespace dropped, and something left.
NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def job_context(job_description: str | None) -> str:
    """The optional job description as a data block, with its role stated: context, not facts."""
    if not job_description:
        return ""
    return (
        "The job the candidate is targeting, as context only (never a source of facts about the "
        "candidate):\n" + data_block("job_description", job_description)
    )


def contains_keyword(text: str, keyword: str) -> bool:
    """The keyword occurs in the text as a word of its own (a plural counts), ignoring case and runs
    of whitespace: "Go" is not in "good", "API" is in "APIs", "C++" is in "C++17"."""
    words = keyword.split()
    if not words:
        return False
    pattern = r"\s+".join(re.escape(word) for word in words)
    if re.match(r"\w", words[0]):
        pattern = r"(?<!\w)" + pattern
    if re.search(r"\w$", words[-1]):
        pattern += r"(?:e?s|'s)?(?!\w)"
    return re.search(pattern, text, re.IGNORECASE) is not None
