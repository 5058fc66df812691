"""`tailor`: a pasted CV extracted and tailored to a job description (CVData), then scored by the
hiring committee (`analysis.committee_evaluation`). Two model calls; the first is checkpointed, so
a retry after the evaluation failed does not pay for the tailoring again."""

from __future__ import annotations

from pydantic import Field

from cv_jobs.job_types.base import JobType, Prompt, RequestModel, ResultModel, Step, StepOutputs, output_of
from cv_jobs.job_types.committee import CommitteeOut, EvaluationResult, committee_prompt, evaluation_from
from cv_jobs.job_types.cv_data import CVData, CvOut, TargetJob, cv_data_from
from cv_jobs.job_types.fields import CvText, JobDescription
from cv_jobs.job_types.prompting import data_block, system_prompt, user_prompt


class TailorRequest(RequestModel):
    user_cv_text: CvText
    job_description: JobDescription


class TailoredCvOut(CvOut):
    """A CV tailored to a job description, as the model writes it: the frontend's field names,
    dates as text, and notes on what was changed."""

    # A schema of its own (not extract's CvOut), and a place for the model to account for its edits;
    # the notes are not part of the result.
    tailoring_notes: list[str] = Field(
        description="What was changed and why, one short note per change, naming the job requirement"
    )


class TailoredCommitteeOut(CommitteeOut):
    """The hiring committee's evaluation of the tailored CV against the job description, one verdict
    per persona."""

    # Same fields as `evaluate`'s answer; its own description keeps the two steps' schemas distinct.


class Analysis(ResultModel):
    committee_evaluation: EvaluationResult


class TailorResult(CVData):
    """CVData tailored to the job (always with its target_job) plus the committee's evaluation."""

    target_job: TargetJob
    analysis: Analysis


TAILOR_SYSTEM_PROMPT = system_prompt(
    """You turn a CV (résumé) into structured data for a CV builder, tailored to one job description.

Extracting:
- Take every fact from the CV: contact details, employers, job titles, dates, education,
  certifications, projects, skills. Use null (or an empty list) for anything the CV does not state.
- Dates exactly as the CV writes them ("Mar 2021", "2019-09", "2020"); "Present" for an ongoing role
  or study. A range such as "2014 - 2016" becomes startDate "2014", endDate "2016".
- Each bullet point of a role is one entry of `achievements`; a role's prose goes in `description`.
- Skills: tools, languages and methods in `technical`; interpersonal skills in `soft`; spoken
  languages (with level, if stated) in `languages`.

Tailoring to the job description (the job description is for relevance only, never a source of
facts about the candidate):
- Keep every role, employer, title, date, degree, certification and project; tailoring changes
  emphasis, never the record. Keep roles and education in the CV's order.
- Within a role, put the achievements most relevant to the job first. Order projects and each
  skills list so the ones the job asks for come first.
- Rephrase bullets to lead with the result and the skill the job cares about. Use the job
  description's terms only where the CV's own content supports them (an "SQS + Lambda" pipeline may
  be called "serverless"); never add a tool, skill, number, scope or seniority the CV does not state,
  and keep every number exactly as the CV gives it.
- `professional_summary`: two or three sentences aimed at this job, built only from facts in the CV.
- `target_job`: the job description's job title and company (null for what it does not state).
- `tailoring_notes`: one short note per change you made and why; also name each hard requirement of
  the job that the CV gives no evidence for, so the candidate can add real evidence.
- Keep the CV's language, even when the job description is written in another one."""
)


def tailor_prompt(request: TailorRequest, outputs: StepOutputs) -> Prompt:
    del outputs  # the first step
    return Prompt(
        system=TAILOR_SYSTEM_PROMPT,
        user=user_prompt(
            "Extract this CV and tailor it to the job description.",
            data_block("cv", request.user_cv_text),
            data_block("job_description", request.job_description),
        ),
    )


def evaluate_prompt(request: TailorRequest, outputs: StepOutputs) -> Prompt:
    # The committee reads the CV as the frontend will show it: CVData with its target_job.
    tailored = cv_data_from(output_of(outputs, "tailor", TailoredCvOut), with_target_job=True)
    return committee_prompt(tailored.model_dump(mode="json"), request.job_description)


def assemble(request: TailorRequest, outputs: StepOutputs) -> TailorResult:
    del request  # everything the result holds comes from the steps
    tailored = cv_data_from(output_of(outputs, "tailor", TailoredCvOut), with_target_job=True)
    committee = output_of(outputs, "evaluate", TailoredCommitteeOut)
    return TailorResult(
        **dict(tailored),
        analysis=Analysis(committee_evaluation=evaluation_from(committee)),
    )


TAILOR = JobType(
    name="tailor",
    path="tailor",
    summary="Extract a CV tailored to a job description, with the hiring committee's evaluation",
    request_model=TailorRequest,
    result_model=TailorResult,
    steps=(
        Step("tailor", TailoredCvOut, tailor_prompt),
        Step("evaluate", TailoredCommitteeOut, evaluate_prompt),
    ),
    assemble=assemble,
)
