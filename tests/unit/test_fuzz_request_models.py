"""Property-based tests (Hypothesis) of every registered job type's request model, through the api's
own validation (cv_jobs/api/validation.py): any document is a request or our refusal, a refusal names
fields and never repeats what was sent, and whatever is accepted can be stored in the jobs table
(DynamoDB's limits, checked here from its documentation because moto does not enforce them), survives
the trip through it (in-process moto, through the api's own table adapter) and validates again in the
worker. The documents reach what DynamoDB cannot store: numbers of any size and precision, NaN and
Infinity, empty and very long keys, unpaired surrogates. Generic over the registry: a ninth job type is
covered without a line here."""

from __future__ import annotations

import json
import math
import string
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from pydantic import BaseModel

from cv_jobs.api.validation import validate_body
from cv_jobs.aws import clients
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.errors import InvalidJson, RequestValidationFailed
from cv_jobs.job_types import JOB_TYPES, JobType
from cv_jobs.job_types.fields import KEY_MAX_CHARS
from local.examples import example_request

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CANARY = "canary-fuzz-9d41"
JOB_TYPE_IDS = [job_type.name for job_type in JOB_TYPES]

# Numbers from everywhere a JSON parser can take them: within DynamoDB's range and beyond it (more
# than 38 digits, magnitudes under 1e-130 or from 1e126 up, NaN and Infinity, subnormal doubles).
numbers = st.one_of(
    st.integers(),
    st.integers(-(10**45), 10**45),
    st.floats(),
    st.sampled_from([1e-130, -1e-130, 1e-131, 9.999e125, 1e126, 10**38 - 1, 10**38, 5e-324, 1.7e308]),
)
# Text with, now and then, half of a surrogate pair (sent as an escape; not Unicode, not storable).
texts = st.text(max_size=30) | st.text(st.characters(categories=["Cs", "L"]), min_size=1, max_size=5)
# Keys: short ones (the empty key included), and now and then some around the length limit.
keys = st.text(max_size=12) | st.integers(KEY_MAX_CHARS - 2, KEY_MAX_CHARS + 2).map(lambda n: "k" * n)
json_scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)
# Objects, the shape of a body and of the free-form fields (which take any non-empty one).
json_objects = st.dictionaries(keys, json_values, min_size=1, max_size=4)
# Prose: what a CV, a job description or a section looks like, in any script.
words = st.lists(
    st.text(
        st.characters(categories=["L", "N"]) | st.sampled_from(string.punctuation), min_size=1, max_size=10
    ),
    min_size=1,
    max_size=60,
).map(" ".join)
marked_text = words.map(lambda text: f"{text} {CANARY}")
field_values = st.one_of(json_values, words, marked_text, st.lists(marked_text, max_size=3))


def _model_fields(job_type: JobType[Any, Any]) -> list[str]:
    return sorted(job_type.request_model.model_fields)


def _outcome(job_type: JobType[Any, Any], document: Any) -> BaseModel | InvalidJson | RequestValidationFailed:
    """The validated request, or the refusal (any other exception fails the test)."""
    try:
        return validate_body(job_type, json.dumps(document))
    except (InvalidJson, RequestValidationFailed) as refusal:
        return refusal


@pytest.fixture(scope="module")
def jobs_store() -> Iterator[JobsStore]:
    """The jobs table in in-process moto, as the stack creates it, reached as the api reaches it."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName="fuzz-jobs",
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield JobsStore(clients.table("fuzz-jobs", clients.API_CONFIG), ttl_seconds=3600)


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=JOB_TYPE_IDS)
@FUZZ
@given(document=json_values | json_objects)
def test_any_json_document_is_a_request_or_our_refusal(job_type: JobType[Any, Any], document: Any) -> None:
    # Given any document Python's JSON module writes (NaN, Infinity and lone surrogates included),
    # When it is validated as this job type's body
    outcome = _outcome(job_type, document)

    # Then what is not JSON text (RFC 8259, I-JSON) or not an object is a 400, and an object is a
    # request or a 422 with field paths
    if not _is_json_text(document) or not isinstance(document, dict):
        assert isinstance(outcome, InvalidJson)
    elif isinstance(outcome, RequestValidationFailed):
        assert outcome.status_code == 422
        assert outcome.fields
    else:
        assert isinstance(outcome, job_type.request_model)


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=JOB_TYPE_IDS)
@FUZZ
@given(data=st.data())
def test_a_field_replaced_by_anything_is_accepted_or_refused_without_echo(
    job_type: JobType[Any, Any], data: st.DataObject
) -> None:
    # Given the job type's example request with one field (known or not) replaced by any value
    field = data.draw(st.sampled_from([*_model_fields(job_type), f"unknown_{CANARY}"]), label="field")
    value = data.draw(field_values, label="value")
    document = {**example_request(job_type.path), field: value}

    # When it is validated
    outcome = _outcome(job_type, document)

    # Then a refusal names model fields (or hides a name the client made up) in our own words,
    # and repeats nothing that was sent
    if isinstance(outcome, RequestValidationFailed):
        body = json.dumps(outcome.body())
        assert CANARY not in body
        assert "Value error" not in body
        known = {*_model_fields(job_type), "body", "*"}
        assert {item["field"].split(".")[0] for item in outcome.fields or []} <= known
    elif isinstance(outcome, InvalidJson):
        # (only a body that is not JSON text: NaN, Infinity, half a surrogate pair)
        assert not _is_json_text(document)
        assert CANARY not in json.dumps(outcome.body())
    else:
        assert isinstance(outcome, job_type.request_model)


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=JOB_TYPE_IDS)
@FUZZ
@given(data=st.data())
def test_an_accepted_request_survives_the_jobs_table_and_validates_again_in_the_worker(
    job_type: JobType[Any, Any], data: st.DataObject, jobs_store: JobsStore
) -> None:
    # Given an accepted request: the example with one field replaced by prose or any JSON value
    field = data.draw(st.sampled_from(_model_fields(job_type)), label="field")
    value = data.draw(st.one_of(words, json_values, json_objects), label="value")
    outcome = _outcome(job_type, {**example_request(job_type.path), field: value})
    if not isinstance(outcome, job_type.request_model):
        return  # refused: the other properties cover refusals
    payload = outcome.model_dump(mode="json")

    # Then DynamoDB can store its payload (moto would store more than DynamoDB does)
    assert _dynamodb_can_store(payload)

    # When the api stores it as the job's payload and the worker reads it back
    job_id = str(uuid.uuid4())
    jobs_store.create(
        job_id=job_id,
        job_type=job_type.name,
        payload=payload,
        provider=Provider.OPENAI,
        credential=CredentialSource.SYSTEM,
        now=1_800_000_000.0,
    )
    stored = jobs_store.get(job_id)

    # Then the worker's validation of the stored payload gives the same request (DynamoDB keeps a
    # number's decimal digits, so a float may come back as the integer it spells)
    assert stored is not None
    again = job_type.request_model.model_validate(stored["payload"])
    assert _numbers_as_floats(again.model_dump(mode="json")) == _numbers_as_floats(
        outcome.model_dump(mode="json")
    )


def _numbers_as_floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _numbers_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _is_json_text(value: Any) -> bool:
    """JSON text by RFC 8259 and I-JSON (RFC 7493): finite numbers, text without lone surrogates."""
    if isinstance(value, dict):
        return all(_is_json_text(key) and _is_json_text(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_json_text(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not any("\ud800" <= char <= "\udfff" for char in value)
    return True


# DynamoDB's documented limits (Developer Guide, "Supported data types and naming rules"): numbers of
# up to 38 significant digits, magnitudes 1E-130 to 9.9999999999999999999999999999999999999E+125 or
# 0; attribute names (map keys too) at least 1 and at most 64 KB; strings in UTF-8.
_LARGEST = Decimal("9.9999999999999999999999999999999999999E+125")
_SMALLEST = Decimal("1E-130")


def _dynamodb_can_store(value: Any) -> bool:
    if isinstance(value, dict):
        return all(
            key
            and _dynamodb_can_store(key)
            and len(key.encode("utf-8")) <= 65_535
            and _dynamodb_can_store(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return all(_dynamodb_can_store(item) for item in value)
    if isinstance(value, str):
        return _is_json_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return False
        number = Decimal(repr(value) if isinstance(value, float) else value).normalize()
        return number == 0 or (len(number.as_tuple().digits) <= 38 and _SMALLEST <= abs(number) <= _LARGEST)
    return True
