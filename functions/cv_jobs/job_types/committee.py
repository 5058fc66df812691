"""The hiring committee: three personas score a CV against a job description. Shared by `evaluate`
and by `tailor`'s second step.

The model fills one object per persona under a fixed key (`CommitteeOut`), so it cannot put one
persona's verdict under another's name; the labels the frontend shows, their order and the average
are set here in code (`evaluation_from`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, model_validator

from cv_jobs.job_types.base import OutputModel, Prompt, ResultModel
from cv_jobs.job_types.cv_data import unique
from cv_jobs.job_types.prompting import data_block, system_prompt, user_prompt

# --- what the model fills in ------------------------------------------------------------------


class PersonaOut(OutputModel):
    score: int = Field(
        ge=1,
        le=10,
        description="This reviewer's score, a whole number from 1 to 10 (1-10 rubric in the instructions)",
    )
    strengths: list[str] = Field(description="2-5 concrete strengths, each naming evidence in this CV")
    improvements: list[str] = Field(
        description="2-5 concrete, actionable improvements for this CV and this job description"
    )
    reasoning: str = Field(description="2-4 sentences explaining the score")


class CommitteeOut(OutputModel):
    """The hiring committee's evaluation of the CV against the job description, one verdict per persona."""

    strict_hiring_manager: PersonaOut
    creative_recruiter: PersonaOut
    senior_technical_lead: PersonaOut


# --- the frontend's evaluation ----------------------------------------------------------------

Persona = Literal["Strict Hiring Manager", "Creative Recruiter", "Senior Technical Lead"]

# The output key each label comes from, in the order the frontend shows them.
PERSONAS: tuple[tuple[str, Persona], ...] = (
    ("strict_hiring_manager", "Strict Hiring Manager"),
    ("creative_recruiter", "Creative Recruiter"),
    ("senior_technical_lead", "Senior Technical Lead"),
)


class PersonaEvaluation(ResultModel):
    persona: Persona
    score: int = Field(ge=1, le=10)
    strengths: list[str]
    improvements: list[str]
    reasoning: str


class EvaluationResult(ResultModel):
    individual_evaluations: list[PersonaEvaluation]
    average_score: float = Field(description="Mean of the three scores, one decimal")

    @model_validator(mode="after")
    def _one_evaluation_per_persona_in_order(self) -> EvaluationResult:
        labels = tuple(evaluation.persona for evaluation in self.individual_evaluations)
        if labels != tuple(label for _, label in PERSONAS):
            raise ValueError(f"expected one evaluation per persona in order, got {labels}")
        return self


def evaluation_from(out: CommitteeOut) -> EvaluationResult:
    """The deterministic step from the committee's answer to the frontend's evaluation."""
    evaluations = [_evaluation(label, getattr(out, key)) for key, label in PERSONAS]
    # A sum of three whole numbers over three never ends in an exact .x5, so round() cannot tie.
    average = round(sum(evaluation.score for evaluation in evaluations) / len(evaluations), 1)
    return EvaluationResult(individual_evaluations=evaluations, average_score=average)


def _evaluation(label: Persona, verdict: PersonaOut) -> PersonaEvaluation:
    return PersonaEvaluation(
        persona=label,
        score=verdict.score,
        strengths=unique(verdict.strengths),
        improvements=unique(verdict.improvements),
        reasoning=" ".join(verdict.reasoning.split()),
    )


# --- the prompt -------------------------------------------------------------------------------

SYSTEM_PROMPT = system_prompt(
    """You are a hiring committee of three reviewers. Each reviews the same CV (résumé, given as
JSON in <cv>) against the same job description (in <job_description>) on their own, and fills in
their own entry of the response.

strict_hiring_manager — the Strict Hiring Manager. Checks the job description's hard requirements
one by one (years of experience, must-have skills and tools, qualifications, domain, languages)
against evidence in the CV. Values measurable results and clear scope; penalises unexplained gaps,
vague claims and missing must-haves. Scores conservatively.

creative_recruiter — the Creative Recruiter. Reads the CV as a first-round screener would: is the
story clear, does the summary position the candidate for this role, are transferable strengths
made visible, are the bullets readable, specific and free of filler? Values how well the CV sells
real experience for this job, not decoration.

senior_technical_lead — the Senior Technical Lead. Judges the depth and credibility of the
technical or professional expertise the job needs: are the skills shown in use in the experience
and projects, at the level and scale the job asks for, or only listed? For a non-technical role,
judges the core professional expertise of that field the same way.

Scoring rubric (each reviewer scores 1-10 on their own perspective; do not average or agree):
- 9-10: an exceptional match; every hard requirement evidenced; would interview at once.
- 7-8: a strong match with minor gaps.
- 5-6: a partial match; relevant, with notable gaps or weak evidence.
- 3-4: a weak match; most requirements unevidenced.
- 1-2: no meaningful match for this job.

Strengths and improvements:
- Concrete and specific to this CV and this job description: name the CV's own roles, employers,
  projects, skills or numbers, and the job description's requirement they meet or miss.
  Never generic advice such as "add more keywords" or "use action verbs".
- Judge only what the CV states. Something the CV does not mention counts as missing; never
  assume or invent experience, skills, numbers or qualifications.
- An improvement is something the candidate can honestly do to this CV: surface or quantify
  evidence the CV already hints at, reorder, clarify, or state a real gap plainly. Never suggest
  claiming experience the CV does not show.
- `reasoning`: 2-4 sentences on why this score, from this reviewer's perspective."""
)


def committee_prompt(cv: Mapping[str, Any], job_description: str) -> Prompt:
    """The committee's prompt for a CV as a JSON object (CVData, or whatever the frontend holds)."""
    return Prompt(
        system=SYSTEM_PROMPT,
        user=user_prompt(
            "Evaluate this CV against the job description.",
            data_block("cv", dict(cv)),
            data_block("job_description", job_description),
        ),
    )
