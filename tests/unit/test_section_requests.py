"""Request validation of rephrase, recommend, inject-keyword, elaborate and improve-from-feedback,
through the api's validator: each problem refused with its field path and our sentence."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cv_jobs.api.validation import validate_body
from cv_jobs.errors import RequestValidationFailed
from cv_jobs.job_types import BY_PATH
from cv_jobs.job_types.rephrase import RephraseRequest
from tests.unit.section_bodies import VALID

REQUIRED = [(path, field) for path, body in VALID.items() for field in body if field != "instruction_type"]


def _fields(path: str, **changes: Any) -> dict[str, tuple[str, str]]:
    """The refusal's problems as {field path: (error type, message)}."""
    body = {**VALID[path], **changes}
    body = {name: value for name, value in body.items() if value is not ...}
    with pytest.raises(RequestValidationFailed) as refused:
        validate_body(BY_PATH[path], json.dumps(body))
    return {item["field"]: (item["type"], item["message"]) for item in refused.value.body()["fields"]}


@pytest.mark.parametrize("path", VALID)
def test_the_valid_bodies_are_accepted(path: str) -> None:
    request = validate_body(BY_PATH[path], json.dumps(VALID[path]))
    assert isinstance(request, BY_PATH[path].request_model)


@pytest.mark.parametrize(("path", "field"), REQUIRED)
def test_each_required_field_missing_is_refused_on_its_path(path: str, field: str) -> None:
    # Given a valid body without one required field; When validated; Then that field is named
    assert _fields(path, **{field: ...}) == {field: ("missing", "Required.")}


@pytest.mark.parametrize(
    ("path", "field", "value", "limit"),
    [
        ("rephrase", "section_content", "x" * 10_001, 10_000),
        ("rephrase", "section_type", "x" * 61, 60),
        ("inject-keyword", "keyword", "x" * 101, 100),
        ("elaborate", "user_context", "x" * 5_001, 5_000),
        ("improve-from-feedback", "section_context", "x" * 20_001, 20_000),
        ("improve-from-feedback", "target_section", "x" * 61, 60),
    ],
)
def test_over_long_text_is_refused_with_the_limit(path: str, field: str, value: str, limit: int) -> None:
    assert _fields(path, **{field: value}) == {
        field: ("string_too_long", f"Must be at most {limit} characters.")
    }


def test_rephrase_instruction_type_defaults_to_default_and_rejects_unknown_types() -> None:
    body = {key: value for key, value in VALID["rephrase"].items() if key != "instruction_type"}
    assert RephraseRequest.model_validate(body).instruction_type == "default"
    assert _fields("rephrase", instruction_type="poem")["instruction_type"][0] == "literal_error"


@pytest.mark.parametrize("custom_instruction", [..., None, "", "   "])
def test_custom_without_a_custom_instruction_is_refused_on_that_field(custom_instruction: Any) -> None:
    # Given instruction_type custom with the instruction absent, null or blank
    # When validated
    fields = _fields("rephrase", instruction_type="custom", custom_instruction=custom_instruction)
    # Then the refusal names custom_instruction, in our words
    assert fields == {
        "custom_instruction": ("custom_instruction_required", 'Required when instruction_type is "custom".')
    }


def test_a_custom_instruction_is_kept_for_custom_and_dropped_for_other_types() -> None:
    custom = RephraseRequest.model_validate(
        {**VALID["rephrase"], "instruction_type": "custom", "custom_instruction": " Use British spelling "}
    )
    assert custom.custom_instruction == "Use British spelling"
    stale = RephraseRequest.model_validate(
        {**VALID["rephrase"], "custom_instruction": "Use British spelling"}
    )
    assert stale.custom_instruction is None
    too_long = _fields("rephrase", instruction_type="custom", custom_instruction="x" * 1_001)
    assert too_long["custom_instruction"][0] == "string_too_long"


def test_a_blank_job_description_is_none_for_section_jobs_but_required_for_recommend() -> None:
    for path in ("rephrase", "inject-keyword", "elaborate"):
        request = validate_body(BY_PATH[path], json.dumps({**VALID[path], "job_description": " "}))
        assert request.job_description is None  # type: ignore[attr-defined]
    assert _fields("recommend", job_description="")["job_description"][0] == "string_too_short"


def test_user_context_needs_a_few_characters() -> None:
    assert _fields("elaborate", user_context="ok") == {
        "user_context": ("string_too_short", "Must be at least 3 characters.")
    }


@pytest.mark.parametrize(
    ("responses", "field", "kind"),
    [
        ([], "user_responses", "too_short"),
        (["yes"] * 21, "user_responses", "too_long"),
        (["x" * 2_001], "user_responses.0", "string_too_long"),
        (["fine", "  "], "user_responses.1", "string_too_short"),
        ("one answer", "user_responses", "list_type"),
    ],
)
def test_user_responses_need_one_to_twenty_non_empty_answers(responses: Any, field: str, kind: str) -> None:
    assert _fields("improve-from-feedback", user_responses=responses)[field][0] == kind


@pytest.mark.parametrize("key", ["first", "00", "100", "-1", "1.0", "٣"])
def test_a_user_chosen_types_key_must_be_an_index_in_digits(key: str) -> None:
    # Given a choice keyed by something that is not a canonical index
    fields = _fields("improve-from-feedback", user_chosen_types={key: "bullet"})
    # Then the key is refused, under user_chosen_types, in our words
    [(field, (kind, message))] = fields.items()
    assert field.startswith("user_chosen_types.")
    assert field.endswith("(key)")
    assert kind == "experience_index_key"
    assert message == 'Keys must be experience indices written as digits, from "0" to "99".'


def test_a_user_chosen_types_value_must_be_bullet_or_sentence() -> None:
    assert _fields("improve-from-feedback", user_chosen_types={"0": "poem"}) == {
        "user_chosen_types.0": ("literal_error", "Must be one of 'bullet' or 'sentence'.")
    }
    assert (
        _fields("improve-from-feedback", user_chosen_types=["bullet"])["user_chosen_types"][0] == "dict_type"
    )


@pytest.mark.parametrize(
    ("indices", "field", "kind"),
    [
        ([2], "target_experience_indices", "no_such_experience"),
        ([0, 1, 5], "target_experience_indices", "no_such_experience"),
        ([100], "target_experience_indices.0", "less_than_equal"),
        ([-1], "target_experience_indices.0", "greater_than_equal"),
        ([0, 0], "target_experience_indices", "duplicate_index"),
        (list(range(51)), "target_experience_indices", "too_long"),
        (["first"], "target_experience_indices.0", "int_parsing"),
    ],
)
def test_target_experience_indices_must_name_entries_of_the_cv(indices: Any, field: str, kind: str) -> None:
    fields = _fields("improve-from-feedback", target_experience_indices=indices)
    assert list(fields) == [field]
    assert fields[field][0] == kind


def test_an_index_past_the_cvs_experience_says_how_many_entries_there_are() -> None:
    fields = _fields("improve-from-feedback", target_experience_indices=[2])
    assert fields["target_experience_indices"][1] == (
        "Every index must name an entry of cv_json.experience, which has 2 entries."
    )
    no_experience = _fields("improve-from-feedback", cv_json={"personal": {}}, target_experience_indices=[0])
    assert "which has 0 entries" in no_experience["target_experience_indices"][1]


def test_valid_choices_and_indices_are_kept() -> None:
    body = {**VALID["improve-from-feedback"], "user_chosen_types": {"1": "sentence", "0": "bullet"}}
    body["target_experience_indices"] = [1, 0]
    request = validate_body(BY_PATH["improve-from-feedback"], json.dumps(body))
    assert request.user_chosen_types == {"1": "sentence", "0": "bullet"}  # type: ignore[attr-defined]
    assert request.target_experience_indices == [1, 0]  # type: ignore[attr-defined]
