"""`elaborate`: rewrite one CV section with a keyword, using facts the user supplied
(`user_context`) — the follow-up when `inject-keyword` answered that it needs context.

The only sources are the section and the user's own words; the prompt says so, and the job
description is context for wording only.
"""

from __future__ import annotations

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
from cv_jobs.job_types.fields import Keyword, Label, OptionalJobDescription, SectionContent, UserContext
from cv_jobs.job_types.prompting import data_block, system_prompt, user_prompt
from cv_jobs.job_types.section_common import NonBlank, job_context


class ElaborateRequest(RequestModel):
    section_content: SectionContent
    section_type: Label
    keyword: Keyword
    user_context: UserContext
    job_description: OptionalJobDescription = None


SYSTEM_PROMPT = system_prompt(
    """You rewrite one section of a CV (résumé) so that it shows a keyword, using facts the user has
just supplied about their own experience.
- The section is in <section_content>, its part of the CV in <section_type>, the keyword in
  <keyword>, and the user's facts in <user_context>.
- Your only sources are <section_content> and <user_context>. Use the user's facts as stated: do not
  enlarge them (no added numbers, team sizes, durations, tools, results or seniority) and do not
  add anything either source does not say.
- Work the keyword in where the user's facts support it, spelled as given. If they do not support
  it, do not force it in: improve the section with what the facts do support.
- Keep every fact the section already states, its form (bullets stay bullets) and its language;
  write in CV style, not as a quotation of the user.
- A <job_description>, when given, only tells you how the keyword is used in the job; it is never a
  source of facts about the candidate.
- `elaborated_content`: the whole rewritten section, nothing else."""
)


class ElaborateOut(OutputModel):
    elaborated_content: NonBlank = Field(
        description="The whole section rewritten with the user's facts and the keyword"
    )


class ElaborateResult(ResultModel):
    rephrased_content: str


def elaborate_prompt(request: ElaborateRequest, outputs: StepOutputs) -> Prompt:
    del outputs  # a single step
    return Prompt(
        system=SYSTEM_PROMPT,
        user=user_prompt(
            "Rewrite this CV section with the keyword, grounded only in the section and the user's facts.",
            data_block("keyword", request.keyword),
            data_block("section_type", request.section_type),
            data_block("section_content", request.section_content),
            data_block("user_context", request.user_context),
            job_context(request.job_description),
        ),
    )


def assemble(request: ElaborateRequest, outputs: StepOutputs) -> ElaborateResult:
    del request  # nothing of the request is echoed
    return ElaborateResult(rephrased_content=output_of(outputs, "elaborate", ElaborateOut).elaborated_content)


ELABORATE = JobType(
    name="elaborate",
    path="elaborate",
    summary="Rewrite a CV section with a keyword, grounded in facts the user supplied",
    request_model=ElaborateRequest,
    result_model=ElaborateResult,
    steps=(Step("elaborate", ElaborateOut, elaborate_prompt),),
    assemble=assemble,
)
