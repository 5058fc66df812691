"""FAKE answers for the section jobs (rephrase, inject-keyword, elaborate), recommend and
improve-from-feedback: derived deterministically from the data blocks each prompt carries, marked
with FAKE_MARK, so an offline demo shows its input come back changed — never a model's work.

- rephrase: the submitted section transformed per instruction type (found by which of the job
  type's own instruction texts the system prompt carries), so each type reads differently;
- inject-keyword: the keyword added where a word of it (or of its stem) already occurs in the
  section, else `requires_context`;
- elaborate: the first sentence of the user's context woven into the section;
- recommend: the template the career-facts block points to (career change → functional, long gap
  → combination, else reverse-chronological);
- improve-from-feedback: a bullet or a sentence built from the user's responses, in the form the
  user chose for the first targeted experience.
"""

from __future__ import annotations

import re
from typing import Any

from cv_jobs.job_types.rephrase import INSTRUCTIONS
from cv_jobs.job_types.section_common import contains_keyword
from local.fakes.answers import FAKE_MARK, FakeCall, answers

_BULLET = re.compile(r"^(\s*(?:[-*•·]|\d+[.)])\s+)?(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FILLER = frozenset({"very", "really", "successfully", "various", "several", "basically", "actually"})
_CONTRACTIONS = {
    "n't": " not",
    "'m": " am",
    "'re": " are",
    "'ve": " have",
    "'ll": " will",
    "'d": " would",
}
_PLAIN_WORDS = {
    "utilised": "used",
    "utilized": "used",
    "utilise": "use",
    "utilize": "use",
    "commenced": "started",
    "facilitated": "helped",
    "approximately": "about",
    "in order to": "to",
    "leveraged": "used",
}
_SUFFIXES = ("ency", "ence", "ent", "ing", "ies", "ed", "es", "s", "y", "e")


def _lines(text: str, change: Any) -> str:
    """`change` applied to the text of each line, keeping its bullet marker."""
    out = []
    for line in text.splitlines():
        match = _BULLET.match(line)
        marker, body = (match[1] or "", match[2]) if match else ("", line)
        out.append(marker + change(body) if body.strip() else line)
    return "\n".join(out)


def _tidy(body: str) -> str:
    body = " ".join(body.split())
    body = re.sub(r"\bi\b", "I", body)
    body = body[:1].upper() + body[1:]
    return body if body[-1:] in ".!?:;" else body + "."


def _shorten(body: str) -> str:
    words = [word for word in body.split() if word.casefold() not in _FILLER]
    keep = max(6, (len(words) * 3 + 4) // 5)
    return " ".join(words[:keep]) + ("…" if len(words) > keep else "")


def _formal(body: str) -> str:
    body = re.sub(r"\bcan't\b", "cannot", body, flags=re.IGNORECASE)
    for short, full in _CONTRACTIONS.items():
        body = re.sub(rf"(\w){re.escape(short)}\b", rf"\1{full}", body, flags=re.IGNORECASE)
    return _tidy(body.replace("!", "."))


def _casual(body: str) -> str:
    for formal, plain in _PLAIN_WORDS.items():
        body = re.sub(rf"\b{formal}\b", plain, body, flags=re.IGNORECASE)
    return " ".join(body.split())


def _cv_style(body: str) -> str:
    # CV bullets drop the first person and lead with the verb.
    body = re.sub(r"^(?:i am|i'm|i|we are|we're|we)\s+", "", body.strip(), flags=re.IGNORECASE)
    return _tidy(re.sub(r"^responsible for\s+", "Owned ", body, flags=re.IGNORECASE))


def _instruction_type(system: str) -> str:
    for kind, text in INSTRUCTIONS.items():
        if text in system:
            return kind
    return "default"


@answers("rephrase", "rephrase")
def rephrase(call: FakeCall) -> dict[str, Any]:
    section = call.block("section_content").strip()
    kind = _instruction_type(call.system)
    if kind == "grammar":
        text = _lines(section, _tidy)
    elif kind == "shorten":
        text = _lines(section, _shorten)
    elif kind == "formal":
        text = _lines(section, _formal)
    elif kind == "casual":
        text = _lines(section, _casual)
    elif kind == "expand":
        text = _lines(section, lambda body: f"{_tidy(body)[:-1]}, as stated in this section.")
    elif kind == "custom":
        wanted = " ".join(call.block("custom_instruction").split())[:80]
        text = f'{_lines(section, _tidy)}\n(custom instruction applied: "{wanted}")'
    else:
        text = _lines(section, _cv_style)
    return {"rephrased_content": f"{FAKE_MARK} ({kind}) {text}"}


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _stems(text: str) -> set[str]:
    return {_stem(word) for word in re.findall(r"[^\W_]{3,}", text.casefold())}


@answers("inject_keyword", "inject_keyword")
def inject_keyword(call: FakeCall) -> dict[str, Any]:
    keyword = " ".join(call.block("keyword").split())
    section = call.block("section_content").strip()
    basis = _stems(keyword) & _stems(section)
    if not basis:
        return {"requires_context": True, "rephrased_content": None}
    if contains_keyword(section, keyword):
        return {"requires_context": False, "rephrased_content": f"{FAKE_MARK} {section}"}
    lines = section.splitlines()
    # The keyword goes on the first line that carries the word it shares with the section.
    at = next(index for index, line in enumerate(lines) if _stems(line) & basis)
    lines[at] = f"{lines[at].rstrip().rstrip('.')} ({keyword})."
    return {"requires_context": False, "rephrased_content": FAKE_MARK + " " + "\n".join(lines)}


@answers("elaborate", "elaborate")
def elaborate(call: FakeCall) -> dict[str, Any]:
    section = call.block("section_content").strip()
    context = " ".join(call.block("user_context").split())
    first = _SENTENCE_END.split(context)[0].rstrip(".!?") if context else ""
    lines = section.splitlines()
    match = _BULLET.match(lines[0]) if lines else None
    marker = match[1] if match and match[1] else ""
    # A list gets the fact as one more line (same marker); prose gets it as one more sentence.
    if marker or len(lines) > 1:
        woven = f"{section}\n{marker}{_cv_style(first)}"
    else:
        woven = f"{section} {_tidy(first)}"
    return {"elaborated_content": f"{FAKE_MARK} {woven.strip()}"}


_FORMATS = {
    "reverse-chronological": "Summary, then experience newest first with results as bullets, then skills "
    "and education.",
    "functional": "Summary, then skill groups with the achievements that prove them, then a short list "
    "of roles without bullets.",
    "combination": "Summary and key skills with achievements first, then the full work history newest "
    "first, with the gap stated plainly.",
}
_WHEN = {
    "reverse-chronological": "Best when the recent roles are the strongest evidence.",
    "functional": "Best when the evidence lies outside the job titles.",
    "combination": "Best when transferable skills and a full timeline both matter.",
}


@answers("recommend", "recommend")
def recommend(call: FakeCall) -> dict[str, Any]:
    facts = call.json_block("career_facts", {})
    facts = facts if isinstance(facts, dict) else {}
    gaps = facts.get("gaps") or []
    if facts.get("career_change"):
        template, confidence = "functional", 70
    elif gaps:
        template, confidence = "combination", 72
    else:
        template, confidence = "reverse-chronological", 85 if facts.get("linear_career") else 65
    confidence -= 5 * min(4, int(facts.get("undated_roles") or 0))
    titles = ", ".join(facts.get("recent_titles") or []) or "none"
    reasoning = (
        f"{FAKE_MARK} From the career facts: {facts.get('role_count', 0)} role(s) over "
        f"{facts.get('total_years', 0)} years, {len(gaps)} gap(s) over six months, career change: "
        f"{'yes' if facts.get('career_change') else 'no'} (recent titles: {titles})."
    )
    return {
        "recommended_template": template,
        "confidence_score": confidence,
        "reasoning": reasoning,
        "format_explanation": f"{FAKE_MARK} {_FORMATS[template]}",
        "alternatives": [
            {"template": other, "reason": _WHEN[other]} for other in _FORMATS if other != template
        ],
    }


def _first_sentence(response: str) -> str:
    return _cv_style(_SENTENCE_END.split(" ".join(response.split()))[0])


@answers("improve_from_feedback", "improve_from_feedback")
def improve_from_feedback(call: FakeCall) -> dict[str, Any]:
    responses = [str(item) for item in call.json_block("user_responses", []) or [] if str(item).strip()]
    targeted = call.json_block("targeted_experiences", []) or []
    chosen = targeted[0].get("chosen_type") if targeted and isinstance(targeted[0], dict) else None
    kind = chosen if chosen in ("bullet", "sentence") else ("bullet" if targeted else "sentence")
    # A bullet is the first answer's first sentence; a sentence joins up to three answers.
    if kind == "bullet":
        content = _first_sentence(responses[0]) if responses else ""
    else:
        content = " ".join(_first_sentence(response) for response in responses[:3])
    return {"improvement_type": kind, "improvement_content": f"{FAKE_MARK} {content or 'No answers given.'}"}
