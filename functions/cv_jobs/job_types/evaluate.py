"""`evaluate`: the hiring committee's three scores for a CV (the frontend's CVData) against a job."""

from __future__ import annotations

from cv_jobs.job_types.base import JobType, Prompt, RequestModel, Step, StepOutputs, output_of
from cv_jobs.job_types.committee import CommitteeOut, EvaluationResult, committee_prompt, evaluation_from
from cv_jobs.job_types.fields import CvObject, JobDescription


class EvaluateRequest(RequestModel):
    job_description: JobDescription
    cv_json: CvObject


def evaluate_prompt(request: EvaluateRequest, outputs: StepOutputs) -> Prompt:
    del outputs  # a single step
    return committee_prompt(request.cv_json, request.job_description)


def assemble(request: EvaluateRequest, outputs: StepOutputs) -> EvaluationResult:
    del request  # nothing of the request is echoed
    return evaluation_from(output_of(outputs, "evaluate", CommitteeOut))


EVALUATE = JobType(
    name="evaluate",
    path="evaluate",
    summary="Score a CV against a job description by three reviewer personas",
    request_model=EvaluateRequest,
    result_model=EvaluationResult,
    steps=(Step("evaluate", CommitteeOut, evaluate_prompt),),
    assemble=assemble,
)
