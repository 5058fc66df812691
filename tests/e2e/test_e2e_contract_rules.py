"""The request rules a JSON schema cannot state, through the local stack: rephrase's custom
instruction, improve-from-feedback's answers and targets, and the minimum size of a CV. Each refusal
is a 422 naming the field in our own words, never echoing the value.

Where a body must be accepted without creating a job, another required field is left out: the 422
then names only that field, which shows the rest of the body passed.
"""

from __future__ import annotations

from typing import Any

import pytest

from cv_jobs.job_types import BY_PATH, JobType
from local.examples import example_request
from tests.e2e.contract_cases import assert_refused, canary
from tests.e2e.support import GatewayClient, LocalStack, accepted_job_id

pytestmark = pytest.mark.e2e

INSTRUCTION_TYPES = ("grammar", "shorten", "formal", "casual", "expand", "custom", "default")


def _job_type(path: str) -> JobType[Any, Any]:
    job_type = BY_PATH.get(path)
    if job_type is None:
        pytest.skip(f"{path} is not registered yet")
    return job_type


def _only_refused_field(response: Any, field: str) -> None:
    body = assert_refused(response, field)
    assert [problem["field"] for problem in body["fields"]] == [field]


@pytest.mark.parametrize("custom_instruction", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_rephrase_custom_without_an_instruction_is_a_422_on_custom_instruction(
    gateway: GatewayClient, custom_instruction: str | None
) -> None:
    # Given a custom rephrase with no usable instruction
    job_type = _job_type("rephrase")
    body = {**example_request(job_type.path), "instruction_type": "custom"}
    body.pop("custom_instruction", None)
    if custom_instruction is not None:
        body["custom_instruction"] = custom_instruction

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused on custom_instruction, saying when it is needed
    refused = assert_refused(response, "custom_instruction")
    (problem,) = [p for p in refused["fields"] if p["field"] == "custom_instruction"]
    assert "custom" in problem["message"]


def test_rephrase_custom_with_an_instruction_is_accepted(
    local_stack: LocalStack, gateway: GatewayClient
) -> None:
    # Given a custom rephrase with the user's own instruction
    job_type = _job_type("rephrase")
    body = {
        **example_request(job_type.path),
        "instruction_type": "custom",
        "custom_instruction": "Lead with the mentoring, keep it to two sentences.",
    }

    # When it is submitted
    job_id = accepted_job_id(gateway.create_job(job_type.path, body))

    # Then it is accepted and runs (waited for, then deleted: no job outlives the test)
    job = gateway.wait_until_finished(job_id)
    local_stack.forget_jobs([job_id])
    assert job["status"] == "succeeded", job


@pytest.mark.parametrize("instruction_type", INSTRUCTION_TYPES)
def test_rephrase_accepts_each_instruction_type_of_the_contract(
    gateway: GatewayClient, instruction_type: str
) -> None:
    # Given a rephrase with this instruction type (and an instruction) but no section_type
    job_type = _job_type("rephrase")
    body = {
        **example_request(job_type.path),
        "instruction_type": instruction_type,
        "custom_instruction": "Keep it under forty words.",
    }
    del body["section_type"]

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then only the missing section_type is refused: the instruction type passed
    _only_refused_field(response, "section_type")


@pytest.mark.parametrize("instruction_type", ["pirate", "Formal", "", 3])
def test_rephrase_unknown_instruction_type_is_a_422(gateway: GatewayClient, instruction_type: Any) -> None:
    # Given a rephrase with an instruction type outside the contract
    job_type = _job_type("rephrase")
    body = {**example_request(job_type.path), "instruction_type": instruction_type}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused on instruction_type
    assert_refused(response, "instruction_type")


@pytest.mark.parametrize(
    ("responses", "field"),
    [([], "user_responses"), ([""], "user_responses.0"), (["Fine.", "   "], "user_responses.1")],
    ids=["none", "one-empty", "second-blank"],
)
def test_improve_from_feedback_needs_at_least_one_real_answer(
    gateway: GatewayClient, responses: list[str], field: str
) -> None:
    # Given improve-from-feedback with no answers, or an empty one
    job_type = _job_type("improve-from-feedback")
    body = {**example_request(job_type.path), "user_responses": responses}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused on that answer (or on the list)
    assert_refused(response, field)


def test_improve_from_feedback_chosen_type_outside_bullet_or_sentence_is_a_422(
    gateway: GatewayClient,
) -> None:
    # Given a chosen type that is neither bullet nor sentence, a canary as the value
    job_type = _job_type("improve-from-feedback")
    secret = canary()
    body = {**example_request(job_type.path), "user_chosen_types": {"0": secret}}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused on that entry, without the value
    assert_refused(response, "user_chosen_types.0", secret=secret)


def test_improve_from_feedback_chosen_type_keyed_by_anything_but_an_index_is_a_422(
    gateway: GatewayClient,
) -> None:
    # Given a chosen type under a key that is not an experience index: the key is the canary
    job_type = _job_type("improve-from-feedback")
    secret = canary()
    body = {**example_request(job_type.path), "user_chosen_types": {secret: "bullet"}}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused on that key, shown as "*" (a client's key is data, not a field name)
    assert_refused(response, "user_chosen_types.*.(key)", secret=secret)


def test_improve_from_feedback_target_index_past_the_cvs_experience_is_a_422(gateway: GatewayClient) -> None:
    # Given a target experience index the CV does not have (the example CV has three roles)
    job_type = _job_type("improve-from-feedback")
    body = {**example_request(job_type.path), "target_experience_indices": [7]}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused on target_experience_indices
    assert_refused(response, "target_experience_indices")


def test_improve_from_feedback_optional_fields_may_be_left_out(gateway: GatewayClient) -> None:
    # Given improve-from-feedback without its optional fields and without target_section
    job_type = _job_type("improve-from-feedback")
    body = example_request(job_type.path)
    for name in ("user_chosen_types", "target_experience_indices", "target_section"):
        del body[name]

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then only target_section is refused
    _only_refused_field(response, "target_section")


@pytest.mark.parametrize(("path", "field"), [("extract", "cv_text"), ("tailor", "user_cv_text")])
def test_a_cv_of_a_few_words_is_a_422(gateway: GatewayClient, path: str, field: str) -> None:
    # Given a "CV" of a few words, a canary among them
    job_type = _job_type(path)
    secret = canary()
    body = {**example_request(job_type.path), field: f"Jane Doe, engineer. {secret}"}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused on the CV field, saying a CV needs more words, without the text
    refused = assert_refused(response, field, secret=secret)
    (problem,) = [p for p in refused["fields"] if p["field"] == field]
    assert "words" in problem["message"], problem
