"""`inject-keyword`: work a job keyword into one CV section, only where the section honestly
supports it.

When the section gives no basis for the keyword the model answers `requires_context: true` (the
frontend then asks the user for facts and calls `elaborate`). The rules that keep this honest are
code: a rewrite offered as final must contain the keyword (checked on the model's output, with the
request as validation context), and the result carries no text at all when context is required.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

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
from cv_jobs.job_types.fields import Keyword, Label, OptionalJobDescription, SectionContent
from cv_jobs.job_types.prompting import data_block, system_prompt, user_prompt
from cv_jobs.job_types.section_common import contains_keyword, job_context


class InjectKeywordRequest(RequestModel):
    section_content: SectionContent
    section_type: Label
    keyword: Keyword
    job_description: OptionalJobDescription = None


SYSTEM_PROMPT = system_prompt(
    """You work one keyword from a job description into one section of a CV (résumé), honestly.
- The section is in <section_content>, its part of the CV in <section_type>, the keyword in
  <keyword>.
- First decide whether the section gives an honest basis for the keyword: it names the keyword, a
  synonym, a close variant, or work that plainly involves it (e.g. "built Lambda functions" is a
  basis for "AWS"). Wishful readings are not a basis.
- With a basis: set `requires_context` to false and write the whole section again in
  `rephrased_content` with the keyword itself, spelled as given, worked in naturally where the
  section supports it. Change as little as needed; keep every fact, the form (bullets stay bullets)
  and the language.
- Without a basis: set `requires_context` to true and `rephrased_content` to null. Do not stretch
  the section to fit; the user will be asked for the facts.
- A <job_description>, when given, only tells you how the keyword is used in the job."""
)


class InjectKeywordOut(OutputModel):
    requires_context: bool = Field(
        description="True when the section gives no honest basis for the keyword; nothing is written then"
    )
    rephrased_content: str | None = Field(
        description="The whole section with the keyword worked in; null when requires_context is true"
    )

    @model_validator(mode="after")
    def _keyword_present_when_final(self, info: ValidationInfo) -> InjectKeywordOut:
        if self.requires_context:
            return self  # whatever text came with it is discarded by assemble
        text = (self.rephrased_content or "").strip()
        if not text:
            raise PydanticCustomError("rewrite_missing", "A rewrite is required when no context is needed.")
        request: Any = info.context
        if isinstance(request, InjectKeywordRequest) and not contains_keyword(text, request.keyword):
            raise PydanticCustomError("keyword_missing", "The rewrite does not contain the keyword.")
        return self


class InjectKeywordResult(ResultModel):
    rephrased_content: str | None
    requires_context: bool


def inject_keyword_prompt(request: InjectKeywordRequest, outputs: StepOutputs) -> Prompt:
    del outputs  # a single step
    return Prompt(
        system=SYSTEM_PROMPT,
        user=user_prompt(
            "Work this keyword into this CV section if, and only if, the section supports it.",
            data_block("keyword", request.keyword),
            data_block("section_type", request.section_type),
            data_block("section_content", request.section_content),
            job_context(request.job_description),
        ),
    )


def assemble(request: InjectKeywordRequest, outputs: StepOutputs) -> InjectKeywordResult:
    del request  # the keyword rule was enforced when the output was validated
    output = output_of(outputs, "inject_keyword", InjectKeywordOut)
    if output.requires_context:
        # Nothing the model wrote alongside "I need context" is shown: it would be invented.
        return InjectKeywordResult(rephrased_content=None, requires_context=True)
    return InjectKeywordResult(
        rephrased_content=(output.rephrased_content or "").strip(), requires_context=False
    )


INJECT_KEYWORD = JobType(
    name="inject_keyword",
    path="inject-keyword",
    summary="Work a job keyword into a CV section, or say that the user must supply context",
    request_model=InjectKeywordRequest,
    result_model=InjectKeywordResult,
    steps=(Step("inject_keyword", InjectKeywordOut, inject_keyword_prompt),),
    assemble=assemble,
)
