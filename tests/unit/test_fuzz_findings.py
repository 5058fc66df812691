"""What the request-model fuzzing (test_fuzz_request_models.py) found, pinned by example: bodies the
request models accepted but the jobs table cannot store, so in the cloud the api's PutItem failed and
the client got a 500.

DynamoDB refuses an empty attribute name anywhere in an item (a map key at any depth), numbers beyond
38 significant digits or outside 1e-130..9.99e125, and text that is not Unicode (a lone surrogate);
NaN and Infinity are no numbers to it at all. moto is more lenient (it stores most of them, and a
record with an empty map key then cannot be read back), so these tests assert the refusal itself:
the free-form objects (`cv_json`, `cv_data`, `persona_feedback`) refuse such values with a 422 that
names the field and never the value, and a body that is not JSON by RFC 8259 / I-JSON (NaN, Infinity,
an unpaired surrogate escape) is a 400 `invalid_json`, as every other body that is not JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from cv_jobs.api.handler import lambda_handler
from cv_jobs.aws.dynamo_json import from_dynamo
from cv_jobs.job_types.fields import KEY_MAX_CHARS
from cv_jobs.job_types.recommend import RecommendRequest
from local.examples import example_request
from tests.unit.conftest import Aws
from tests.unit.events import api_context, api_event

CANARY = "canary-unstorable-51c7"


def _post_recommend(cv_data_extra: str) -> dict[str, Any]:
    """POST a recommend job whose `cv_data` carries `"extra": <cv_data_extra>` (raw JSON text)."""
    body = json.dumps(example_request("recommend"))
    text = body.replace('"cv_data": {', f'"cv_data": {{"extra": {cv_data_extra}, ', 1)
    assert text != body
    return lambda_handler(api_event("POST", "/ai/jobs/recommend", body=text), api_context())


@pytest.mark.parametrize(
    "unstorable",
    [
        pytest.param({"": "an empty key"}, id="empty-key"),
        pytest.param({"section": {"": None}}, id="empty-nested-key"),
        pytest.param({"k" * (KEY_MAX_CHARS + 1): CANARY}, id="key-too-long"),
        pytest.param({"score": 1e126}, id="number-too-large"),
        pytest.param({"score": -1e126}, id="negative-number-too-large"),
        pytest.param({"score": 1e-200}, id="number-too-small"),
        pytest.param({"score": 1e-131}, id="number-just-too-small"),
        pytest.param({"score": 10**39 + 1}, id="forty-significant-digits"),
        pytest.param({"score": -(10**38 + 1)}, id="thirty-nine-significant-digits"),
        pytest.param([[{"deep": 1e300}]], id="number-in-a-list"),
    ],
)
def test_a_free_form_object_dynamodb_cannot_store_is_refused_with_422_not_500(
    aws: Aws, unstorable: Any
) -> None:
    # Given a recommend request whose CV data carries something the jobs table cannot store
    # When it is posted
    response = _post_recommend(json.dumps(unstorable))

    # Then it is refused as the client's mistake, naming the field, and no job is recorded
    payload = json.loads(response["body"])
    assert response["statusCode"] == 422, payload
    assert payload["error"]["code"] == "validation_error"
    assert payload["fields"][0]["field"].startswith("cv_data")
    assert aws.scan_items() == []


def test_the_refusal_of_an_unstorable_key_repeats_no_part_of_the_body(aws: Aws) -> None:
    # Given CV data with a key over the limit that carries a canary
    # When it is posted
    response = _post_recommend(json.dumps({CANARY * (KEY_MAX_CHARS // len(CANARY) + 1): 1}))

    # Then the 422 says what is wrong in our words, without the key
    assert response["statusCode"] == 422
    assert CANARY not in response["body"]
    assert "Value error" not in response["body"]
    assert f"at most {KEY_MAX_CHARS:,} characters" in json.loads(response["body"])["detail"]


@pytest.mark.parametrize(
    "storable",
    [
        pytest.param({"k" * KEY_MAX_CHARS: "a key at the limit"}, id="longest-key"),
        pytest.param({"score": 9.999e125}, id="largest-magnitude"),
        pytest.param({"score": -1e-130}, id="smallest-magnitude"),
        pytest.param({"score": 10**38 - 1}, id="thirty-eight-digit-integer"),
        # DynamoDB counts significant digits (it trims leading and trailing zeros)
        pytest.param({"score": -(10**38)}, id="thirty-nine-digits-one-significant"),
        pytest.param({"score": 0, "neg": -0.0, "flag": True, "none": None}, id="zero-and-friends"),
        pytest.param({"text": "😀 surrogate pair as an escape: \ud83d\ude00"}, id="astral-character"),
    ],
)
def test_the_largest_and_smallest_storable_values_are_accepted_and_stored(aws: Aws, storable: Any) -> None:
    # Given CV data carrying values at DynamoDB's limits (but within them)
    # When it is posted
    response = _post_recommend(json.dumps(storable))

    # Then the job is accepted and recorded with them
    assert response["statusCode"] == 202, response["body"]
    [item] = aws.scan_items()
    assert item["payload"]["cv_data"]["extra"].keys() == storable.keys()


@pytest.mark.parametrize("number", ["1e38", "-1E+38", "1.5e125", "100000000000000000000000000000000000000"])
def test_a_number_the_api_accepts_the_worker_accepts_after_the_jobs_table(aws: Aws, number: str) -> None:
    # Given CV data with a number of few significant digits that reads back from the table as a long
    # integer (Hypothesis found 1e38: accepted by the api, stored as 1E+38, read back as 10**38,
    # then refused by the worker's validation as a 39-digit number, failing the accepted job)
    response = _post_recommend(number)
    assert response["statusCode"] == 202, response["body"]
    # When the worker reads the job's request from the record and validates it as it does
    [item] = aws.scan_items()
    request = RecommendRequest.model_validate(from_dynamo(item["payload"]))
    # Then it is the request the api accepted
    assert float(request.cv_data["extra"]) == float(number)


@pytest.mark.parametrize(
    "constant",
    ["NaN", "Infinity", "-Infinity", '["fine", NaN]'],
)
def test_nan_and_infinity_are_not_json_so_the_body_is_a_400_invalid_json(aws: Aws, constant: str) -> None:
    # Given a body that uses Python's JSON extensions for non-finite numbers (RFC 8259 has none)
    # When it is posted
    response = _post_recommend(constant)

    # Then it is refused like any other body that is not JSON, and nothing is recorded
    payload = json.loads(response["body"])
    assert response["statusCode"] == 400, payload
    assert payload["error"]["code"] == "invalid_json"
    assert aws.scan_items() == []


@pytest.mark.parametrize(
    "escape",
    [r'"\ud800"', r'"lone low \udc00 in text"', r'{"\udbff": 1}', r'"reversed \ude00\ud83d pair"'],
)
def test_an_unpaired_surrogate_escape_is_not_unicode_so_the_body_is_a_400_invalid_json(
    aws: Aws, escape: str
) -> None:
    # Given a body whose text escapes half of a UTF-16 surrogate pair (I-JSON, RFC 7493, forbids it;
    # it cannot be encoded as UTF-8, so no store or log line could hold it)
    # When it is posted
    response = _post_recommend(escape)

    # Then it is a 400 invalid_json, not a 500 from the store
    payload = json.loads(response["body"])
    assert response["statusCode"] == 400, payload
    assert payload["error"]["code"] == "invalid_json"
    assert aws.scan_items() == []


def test_an_unpaired_surrogate_in_a_plain_text_field_is_a_400_too(aws: Aws) -> None:
    # Given a request whose job description (a string field, not a free-form object) has one
    body = json.dumps(example_request("recommend"))
    text = body.replace('"job_description": "', '"job_description": "\\ud800 ', 1)

    # When it is posted
    response = lambda_handler(api_event("POST", "/ai/jobs/recommend", body=text), api_context())

    # Then it is refused as not JSON, not failed in the store
    assert response["statusCode"] == 400, response["body"]
    assert aws.scan_items() == []


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_the_free_form_object_refuses_non_finite_numbers_from_any_source(number: float) -> None:
    # Given a request model fed from Python (the worker re-validates stored payloads; a JSON number
    # like 1e400 also parses as infinity)
    document = {**example_request("recommend")}
    document["cv_data"] = {**document["cv_data"], "score": number}

    # When it is validated, Then the free-form object refuses it with our own error type
    with pytest.raises(ValidationError) as refused:
        RecommendRequest.model_validate(document)
    [error] = refused.value.errors()
    assert (error["loc"], error["type"]) == (("cv_data",), "unstorable_number")


def test_a_number_too_large_for_a_double_is_a_422_not_a_stored_infinity(aws: Aws) -> None:
    # Given CV data with 1e400, which Python's JSON parser reads as infinity
    # When it is posted
    response = _post_recommend("1e400")

    # Then it is a 422 on the field
    payload = json.loads(response["body"])
    assert response["statusCode"] == 422, payload
    assert payload["fields"][0]["field"] == "cv_data"
