"""The FAKE answers for rephrase, recommend, inject-keyword, elaborate and improve-from-feedback:
schema-valid, marked as fake, and derived from what each prompt carried (different input, different
answer)."""

from __future__ import annotations

from typing import Any

import pytest

from cv_jobs.job_types import BY_PATH
from cv_jobs.job_types.rephrase import INSTRUCTIONS
from cv_jobs.job_types.schema import provider_schema
from local.fakes.answers import FAKE_MARK, fake_answer
from tests.unit.samples import sample
from tests.unit.section_bodies import VALID

BULLETS = "- Designed an idempotent payment API in Python.\n- Ran the backend guild."


def _fake(path: str, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the fake's answer, the job's result) for a request, as the worker would see them."""
    job_type = BY_PATH[path]
    request = job_type.request_model.model_validate({**VALID[path], **changes})
    [step] = job_type.steps
    prompt = step.prompt(request, {})
    answer = fake_answer(provider_schema(step.output_model), system=prompt.system, user=prompt.user)
    output = step.output_model.model_validate(answer, context=request)  # what the worker checks
    result = job_type.result(request, {step.name: output})
    job_type.result_model.model_validate(result)
    return answer, result


@pytest.mark.parametrize("path", list(VALID))
def test_each_fake_answer_fits_its_step_and_is_marked_as_fake(path: str) -> None:
    # Given the valid request; When the fake answers (validated as the worker validates)
    answer, result = _fake(path)
    # Then its free text says it is fake (a bare "requires context" answer has no text to mark)
    assert FAKE_MARK in str(answer) or answer == {"requires_context": True, "rephrased_content": None}
    assert set(result) == set(BY_PATH[path].result_model.model_fields)


def test_rephrase_fakes_differ_by_instruction_type_and_change_the_section() -> None:
    # Given the same section rephrased with every instruction type
    section = (
        "- i'm responsible for   really building the very big API that didn't fail\n- worked with 3 teams"
    )
    texts = {}
    for kind in INSTRUCTIONS:
        # When the fake answers each
        _, result = _fake(
            "rephrase", section_content=section, instruction_type=kind, custom_instruction="Be bold"
        )
        texts[kind] = result["rephrased_content"]
    # Then every type reads differently, and none is the section unchanged
    assert len(set(texts.values())) == len(INSTRUCTIONS)
    assert section not in texts.values()
    assert "I am responsible" in texts["formal"]
    assert "did not" in texts["formal"]
    assert "really" not in texts["shorten"]
    assert "Be bold" in texts["custom"]
    assert texts["grammar"].count("\n- ") == 1  # the bullets stay bullets


def test_rephrase_fakes_follow_the_submitted_section() -> None:
    _, first = _fake("rephrase", section_content="Led a team of four.")
    _, second = _fake("rephrase", section_content="Cut costs by 28%.")
    assert "Led a team of four" in first["rephrased_content"]
    assert "Cut costs by 28%" in second["rephrased_content"]


def test_inject_keyword_fake_injects_when_a_word_of_the_keyword_is_in_the_section() -> None:
    # Given a section that says "idempotent" and the keyword "idempotency"
    _, result = _fake("inject-keyword", section_content=BULLETS, keyword="Idempotency")
    # Then the keyword is injected, on the line that carries its stem
    assert result["requires_context"] is False
    assert "payment API in Python (Idempotency)." in result["rephrased_content"]


def test_inject_keyword_fake_asks_for_context_when_the_section_has_no_basis() -> None:
    answer, result = _fake("inject-keyword", section_content=BULLETS, keyword="Kubernetes")
    assert answer == {"requires_context": True, "rephrased_content": None}
    assert result == {"rephrased_content": None, "requires_context": True}


def test_elaborate_fake_weaves_in_the_first_sentence_of_the_users_context() -> None:
    context = "I moved alerts to EventBridge rules. It took a year."
    _, result = _fake("elaborate", section_content=BULLETS, user_context=context)
    assert result["rephrased_content"].endswith("\n- Moved alerts to EventBridge rules.")
    assert "took a year" not in result["rephrased_content"]
    _, prose = _fake("elaborate", section_content="Led the payments team.", user_context=context)
    assert (
        prose["rephrased_content"]
        == f"{FAKE_MARK} Led the payments team. I moved alerts to EventBridge rules."
    )


def _experience(title: str, start: str, end: str) -> dict[str, Any]:
    return {"role": title, "company": "Acme", "startDate": start, "endDate": end}


@pytest.mark.parametrize(
    ("experience", "job", "template"),
    [
        (
            [_experience("ICU Staff Nurse", "2015", "present"), _experience("Ward Nurse", "2013", "2015")],
            sample("jd_health_data_analyst.txt"),
            "functional",
        ),
        (
            [
                _experience("Platform Engineer", "Jan 2022", "Present"),
                _experience("Engineer", "2015", "2020"),
            ],
            sample("jd_platform_engineer.txt"),
            "combination",
        ),
        (
            [
                _experience("Platform Engineer", "Jan 2021", "Present"),
                _experience("Engineer", "2015", "2020"),
            ],
            sample("jd_platform_engineer.txt"),
            "reverse-chronological",
        ),
    ],
    ids=["career-change", "long-gap", "linear"],
)
def test_recommend_fake_follows_the_career_facts(experience: list[Any], job: str, template: str) -> None:
    # Given CVs whose computed facts differ; When the fake recommends
    answer, result = _fake("recommend", cv_data={"experience": experience}, job_description=job)
    # Then the template follows the facts, and the alternatives are the two others
    assert result["recommended_template"] == template
    assert {item["template"] for item in result["alternatives"]} | {template} == {
        "reverse-chronological",
        "functional",
        "combination",
    }
    assert "career change: " + ("yes" if template == "functional" else "no") in answer["reasoning"]


def test_improve_fake_honours_the_chosen_type_and_uses_the_answers() -> None:
    responses = ["I wrote the CDK stacks. It was hard.", "We cut deploys to 8 minutes."]
    _, bullet = _fake("improve-from-feedback", user_responses=responses, user_chosen_types={"0": "bullet"})
    _, sentence = _fake(
        "improve-from-feedback", user_responses=responses, user_chosen_types={"0": "sentence"}
    )
    assert bullet["improvement_type"] == "bullet"
    assert bullet["improvement_content"] == f"{FAKE_MARK} Wrote the CDK stacks."
    assert sentence["improvement_type"] == "sentence"
    assert sentence["improvement_content"] == f"{FAKE_MARK} Wrote the CDK stacks. Cut deploys to 8 minutes."
    _, other = _fake("improve-from-feedback", user_responses=["I led the on-call rotation."])
    assert other["improvement_content"] != bullet["improvement_content"]
    _, summary = _fake("improve-from-feedback", target_section="professional_summary")
    assert summary["improvement_type"] == "sentence"  # no experience targeted
