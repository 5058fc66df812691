"""`extract`: turn a pasted CV into CVData (optionally with a job description in mind)."""

from __future__ import annotations

from cv_jobs.job_types.base import JobType, Prompt, RequestModel, Step, StepOutputs, output_of
from cv_jobs.job_types.cv_data import CVData, CvOut, cv_data_from
from cv_jobs.job_types.fields import CvText, OptionalJobDescription
from cv_jobs.job_types.prompting import data_block, system_prompt, user_prompt


class ExtractRequest(RequestModel):
    cv_text: CvText
    job_description: OptionalJobDescription = None


SYSTEM_PROMPT = system_prompt(
    """You extract structured data from a CV (résumé) for a CV builder.
- Copy facts exactly as the CV states them; use null (or an empty list) for anything it does not
  state. Do not improve, summarise or translate the wording.
- Dates: write them as the CV writes them ("Mar 2021", "2019-09", "2020"); "Present" for an
  ongoing role or study. A range such as "2014 - 2016" becomes startDate "2014", endDate "2016".
- Each bullet point of a role is one entry of `achievements`; a role's prose goes in `description`.
- Skills: tools, languages and methods in `technical`; interpersonal skills in `soft`; spoken
  languages (with level, if stated) in `languages`.
- `professional_summary`: the CV's own summary or profile text, or null when it has none.
- `target_job`: the job description's job title and company when one is given, else null."""
)


def extract_prompt(request: ExtractRequest, outputs: StepOutputs) -> Prompt:
    del outputs  # a single step
    job = (
        "The candidate is targeting the job below; use it only for target_job, never as a source "
        "of facts about the candidate.\n" + data_block("job_description", request.job_description)
        if request.job_description
        else ""
    )
    return Prompt(
        system=SYSTEM_PROMPT,
        user=user_prompt("Extract this CV.", data_block("cv", request.cv_text), job),
    )


def assemble(request: ExtractRequest, outputs: StepOutputs) -> CVData:
    cv = output_of(outputs, "extract", CvOut)
    return cv_data_from(cv, with_target_job=request.job_description is not None)


EXTRACT = JobType(
    name="extract",
    path="extract",
    summary="Extract structured CV data (CVData) from CV text",
    request_model=ExtractRequest,
    result_model=CVData,
    steps=(Step("extract", CvOut, extract_prompt),),
    assemble=assemble,
)
