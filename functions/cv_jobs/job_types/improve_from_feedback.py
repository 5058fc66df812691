"""`improve-from-feedback`: turn a reviewer persona's feedback and the user's answers to it into one
improvement for a section of the CV — a bullet point or a sentence.

The user may target experience entries (`target_experience_indices`) and choose, per entry, whether
they want a bullet or a sentence (`user_chosen_types`). Both reach the prompt (each targeted entry is
shown with its chosen type), and the choice for the first targeted entry is enforced on the model's
output (validated with the request as context). Echoed fields and defaults are code.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator
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
from cv_jobs.job_types.fields import (
    CvObject,
    ExperienceIndices,
    FeedbackObject,
    ImprovementType,
    JobDescription,
    Label,
    SectionContext,
    UserChosenTypes,
    UserResponses,
)
from cv_jobs.job_types.prompting import data_block, system_prompt, user_prompt
from cv_jobs.job_types.section_common import NonBlank


def experience_entries(cv_json: dict[str, Any]) -> list[Any]:
    experience = cv_json.get("experience")
    return experience if isinstance(experience, list) else []


class ImproveFromFeedbackRequest(RequestModel):
    # cv_json comes first: the index check below reads its validated value.
    cv_json: CvObject
    job_description: JobDescription
    persona_feedback: FeedbackObject
    user_responses: UserResponses
    target_section: Label
    section_context: SectionContext
    user_chosen_types: UserChosenTypes | None = None
    target_experience_indices: ExperienceIndices | None = None

    @field_validator("target_experience_indices")
    @classmethod
    def _indices_name_entries(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        cv_json = info.data.get("cv_json")
        if value is None or cv_json is None:
            return value  # a bad cv_json is reported on its own field
        count = len(experience_entries(cv_json))
        if any(index >= count for index in value):
            raise PydanticCustomError(
                "no_such_experience",
                "Every index must name an entry of cv_json.experience, which has {count} entries.",
                {"count": count},
            )
        return value


def target_indices(request: ImproveFromFeedbackRequest) -> list[int]:
    """The experience entries the improvement is for. An absent or empty list means the first
    entry when the section is the experience section, and none otherwise."""
    if request.target_experience_indices:
        return list(request.target_experience_indices)
    return [0] if request.target_section.casefold() == "experience" else []


def required_type(request: ImproveFromFeedbackRequest) -> ImprovementType | None:
    """The form the user chose for the first targeted entry, if they chose one."""
    targets = target_indices(request)
    if not targets or not request.user_chosen_types:
        return None
    return request.user_chosen_types.get(str(targets[0]))


SYSTEM_PROMPT = system_prompt(
    """You improve one section of a CV (résumé) from a reviewer's feedback and the user's answers.
- <persona_feedback> is a reviewer persona's assessment of the CV for the job in <job_description>.
  <user_responses> are the user's own answers to that feedback: facts about their experience.
- Write one improvement for the section named in <target_section> (its current text, if any, is in
  <section_context>) that addresses the feedback with what the user said.
- Your only sources of facts are <user_responses> and <cv_json>. Use the user's facts as stated: no
  added numbers, scope, tools, results or seniority. If the answers are vague, stay modest.
- <targeted_experiences>, when present, lists the experience entries the improvement is for (their
  current description and achievements, and the form the user chose for each); fit the
  improvement to the first of them and do not repeat what it already says.
- `improvement_type` "bullet": one achievement bullet point (action, what, result if stated), no
  leading bullet marker. "sentence": one to three sentences of prose, e.g. for a summary or a
  role description. Use the form the user chose when the message names one.
- `improvement_content`: the bullet or the sentences only, in the CV's language."""
)


class ImproveOut(OutputModel):
    improvement_type: ImprovementType = Field(description="bullet: one bullet point; sentence: prose")
    improvement_content: NonBlank = Field(description="The improvement itself, ready to paste into the CV")

    @model_validator(mode="after")
    def _chosen_type_used(self, info: ValidationInfo) -> ImproveOut:
        request: Any = info.context
        if isinstance(request, ImproveFromFeedbackRequest):
            wanted = required_type(request)
            if wanted is not None and self.improvement_type != wanted:
                raise PydanticCustomError("chosen_type_ignored", "The user chose another improvement type.")
        return self


class ImproveFromFeedbackResult(ResultModel):
    improved_content: str
    suggested_section: str
    improvement_type: ImprovementType
    improvement_content: str
    target_indices: list[int]
    user_chosen_types: dict[str, ImprovementType]


def _targeted_experiences(request: ImproveFromFeedbackRequest) -> list[dict[str, Any]]:
    entries = experience_entries(request.cv_json)
    chosen = request.user_chosen_types or {}
    shown = []
    for index in target_indices(request):
        entry = entries[index] if index < len(entries) and isinstance(entries[index], dict) else {}
        shown.append(
            {
                "index": index,
                "role": entry.get("role"),
                "company": entry.get("company"),
                "description": entry.get("description"),
                "achievements": entry.get("achievements"),
                "chosen_type": chosen.get(str(index)),
            }
        )
    return shown


def improve_prompt(request: ImproveFromFeedbackRequest, outputs: StepOutputs) -> Prompt:
    del outputs  # a single step
    targeted = _targeted_experiences(request)
    wanted = required_type(request)
    form = (
        f'The user chose the form "{wanted}" for experience entry {target_indices(request)[0]}: '
        f'improvement_type must be "{wanted}".'
        if wanted
        else "Choose the form (bullet or sentence) that fits the section."
    )
    return Prompt(
        system=SYSTEM_PROMPT,
        user=user_prompt(
            "Write one improvement for this section of the CV from the feedback and the user's answers.",
            form,
            data_block("target_section", request.target_section),
            data_block("section_context", request.section_context) if request.section_context else "",
            data_block("targeted_experiences", targeted) if targeted else "",
            data_block("user_responses", list(request.user_responses)),
            data_block("persona_feedback", request.persona_feedback),
            data_block("job_description", request.job_description),
            data_block("cv_json", request.cv_json),
        ),
    )


def assemble(request: ImproveFromFeedbackRequest, outputs: StepOutputs) -> ImproveFromFeedbackResult:
    output = output_of(outputs, "improve_from_feedback", ImproveOut)
    return ImproveFromFeedbackResult(
        improved_content=output.improvement_content,
        suggested_section=request.target_section,
        improvement_type=output.improvement_type,
        improvement_content=output.improvement_content,
        target_indices=target_indices(request),
        user_chosen_types=dict(request.user_chosen_types or {}),
    )


IMPROVE_FROM_FEEDBACK = JobType(
    name="improve_from_feedback",
    path="improve-from-feedback",
    summary="Write a bullet or sentence for a CV section from persona feedback and the user's answers",
    request_model=ImproveFromFeedbackRequest,
    result_model=ImproveFromFeedbackResult,
    steps=(Step("improve_from_feedback", ImproveOut, improve_prompt),),
    assemble=assemble,
)
