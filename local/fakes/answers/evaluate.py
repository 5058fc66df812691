"""FAKE answers for the hiring committee (`evaluate`, and `tailor`'s second step): scores from the
overlap between the words of the CV (the JSON in <cv>) and of the job description, so a CV that
shares more of the job's vocabulary scores higher and different inputs give different scores.
Strengths and improvements name real words found and missing; the reasoning says it is fake.
"""

from __future__ import annotations

import re
from typing import Any

from local.fakes.answers import FAKE_MARK, FakeCall, answers

_STOP_TEXT = """
about above after all also and any are around as at be been being both but by can could did does each
etc for from has have how into its just like more most must nice not now of off on one only or other
our out over own per plus should such than that the their them then there these they this those
through too under until using very was way we well were what when where which while who will with
within would year years you your"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
# The three personas weigh the same overlap differently: strict, generous, in between.
_PERSONAS = (
    ("strict_hiring_manager", "Strict Hiring Manager", -1),
    ("creative_recruiter", "Creative Recruiter", 1),
    ("senior_technical_lead", "Senior Technical Lead", 0),
)


@answers("evaluate", "evaluate")
@answers("tailor", "evaluate")
def committee(call: FakeCall) -> dict[str, Any]:
    cv = call.json_block("cv", {})
    # The target job is the job description's own title: words the CV would "share" for free.
    cv_words = set(words(" ".join(_strings({**cv, "target_job": None} if isinstance(cv, dict) else cv))))
    job_words = list(dict.fromkeys(words(call.block("job_description"))))
    found = [word for word in job_words if word in cv_words]
    missing = [word for word in job_words if word not in cv_words]
    share = len(found) / len(job_words) if job_words else 0.0
    # A CV rarely repeats more than two thirds of a job description's words: that is a full match.
    base = 1 + round(9 * min(1.0, share * 1.5))
    answer = {}
    for index, (key, label, leaning) in enumerate(_PERSONAS):
        score = max(1, min(10, base + leaning))
        answer[key] = {
            "score": score,
            "strengths": [
                f'The CV mentions "{word}", which the job description asks for.'
                for word in found[index::3][:3]
            ],
            "improvements": [
                f'The job description mentions "{word}"; the CV does not.' for word in missing[index::3][:3]
            ],
            "reasoning": (
                f"{FAKE_MARK} {label}: {len(found)} of the job description's {len(job_words)} distinct "
                f"words appear in the CV ({round(100 * share)}%), hence {score}/10. "
                "Counted words, not a model's judgement."
            ),
        }
    return answer


def words(text: str) -> list[str]:
    """Lower-case words of three or more characters, without common filler words."""
    tokens = re.findall(r"[^\W_][\w+#]*(?:[.-][^\W_][\w+#]*)*", text.casefold())
    return [token for token in tokens if len(token) >= 3 and not token.isdigit() and token not in _STOP_WORDS]


def _strings(value: Any) -> list[str]:
    """Every string value in a JSON document (keys are the schema's words, not the CV's)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
