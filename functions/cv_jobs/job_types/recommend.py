"""`recommend`: which CV template suits this candidate for this job (reverse-chronological,
functional or combination), with a confidence, the reasons and the alternatives.

The facts the choice rests on (roles, total experience, gaps, overlaps, a career change) are
computed in code (`career_facts`) and handed to the model as data, so it never does date
arithmetic. Alternatives that repeat the recommendation or each other are dropped in code.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from cv_jobs.job_types.base import (
    JobType,
    OutputModel,
    Prompt,
    RequestModel,
    ResultModel,
    Step,
    StepOutputs,
    output_of,
)
from cv_jobs.job_types.career_facts import LONG_GAP_MONTHS, career_facts
from cv_jobs.job_types.fields import CvObject, JobDescription
from cv_jobs.job_types.prompting import data_block, system_prompt, user_prompt
from cv_jobs.job_types.section_common import NonBlank

Template = Literal["reverse-chronological", "functional", "combination"]


class RecommendRequest(RequestModel):
    job_description: JobDescription
    cv_data: CvObject


SYSTEM_PROMPT = system_prompt(
    f"""You recommend the CV (résumé) template that presents this candidate best for this job.
The templates:
- "reverse-chronological": roles listed newest first. Best for steady progression in the same or
  a neighbouring field, where the recent roles are the strongest evidence for the job.
- "functional": skills and accomplishments grouped by theme, the work history reduced to a short
  list. Best for a career change whose evidence lies outside the job titles, or for very little
  work experience. Some recruiters distrust it, so recommend it only when the timeline would hide
  the candidate's strengths.
- "combination": a skills-and-achievements section first, then a full reverse-chronological
  history. Best for transferable experience into a new field, gaps longer than {LONG_GAP_MONTHS}
  months, or varied experience that a plain timeline scatters.
How to decide:
- <career_facts> was computed from the CV's dates and titles in code. Rely on it for numbers,
  gaps, overlaps and whether this is a career change; do not recount dates yourself. A role with
  unreadable dates is counted in `undated_roles` and is not on its timeline.
- Weigh the facts against <job_description> and the candidate's skills in <cv_data>.
- `confidence_score` (0-100): how clearly the facts favour your choice; below 60 when two
  templates are close.
- `reasoning`: two to four sentences that cite the specific facts behind the choice.
- `format_explanation`: how to lay out this CV in the chosen template, section by section, in
  terms of this candidate's material.
- `alternatives`: the other templates worth considering (zero to two, never the recommended one),
  each with one sentence on when it would be the better choice."""
)


class AlternativeOut(OutputModel):
    template: Template
    reason: NonBlank = Field(description="When this template would be the better choice")


class RecommendOut(OutputModel):
    recommended_template: Template
    confidence_score: int = Field(ge=0, le=100, description="0-100: how clearly the facts favour it")
    reasoning: NonBlank = Field(description="The facts behind the choice")
    format_explanation: NonBlank = Field(description="How to lay out this CV in the chosen template")
    alternatives: list[AlternativeOut] = Field(description="Other templates worth considering, if any")


class Alternative(ResultModel):
    template: Template
    reason: str


class RecommendResult(ResultModel):
    recommended_template: Template
    confidence_score: int = Field(ge=0, le=100)
    reasoning: str
    format_explanation: str
    alternatives: list[Alternative]


def recommend_prompt(request: RecommendRequest, outputs: StepOutputs, *, today: date | None = None) -> Prompt:
    del outputs  # a single step
    facts = career_facts(request.cv_data, request.job_description, today=today)
    return Prompt(
        system=SYSTEM_PROMPT,
        user=user_prompt(
            "Recommend a CV template for this candidate and this job.",
            data_block("career_facts", facts.as_data()),
            data_block("job_description", request.job_description),
            data_block("cv_data", request.cv_data),
        ),
    )


def assemble(request: RecommendRequest, outputs: StepOutputs) -> RecommendResult:
    del request  # nothing of the request is echoed
    output = output_of(outputs, "recommend", RecommendOut)
    seen: set[str] = {output.recommended_template}
    alternatives = []
    for alternative in output.alternatives:
        # Only other templates, each once (the first reason given wins).
        if alternative.template not in seen:
            seen.add(alternative.template)
            alternatives.append(Alternative(template=alternative.template, reason=alternative.reason))
    return RecommendResult(
        recommended_template=output.recommended_template,
        confidence_score=output.confidence_score,
        reasoning=output.reasoning,
        format_explanation=output.format_explanation,
        alternatives=alternatives,
    )


RECOMMEND = JobType(
    name="recommend",
    path="recommend",
    summary="Recommend a CV template from career facts (gaps, career change) and the job description",
    request_model=RecommendRequest,
    result_model=RecommendResult,
    steps=(Step("recommend", RecommendOut, recommend_prompt),),
    assemble=assemble,
)
