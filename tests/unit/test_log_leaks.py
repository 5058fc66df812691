"""No CV or result text reaches a log line when a job's own code fails: the assemble path ("assembling
the result failed") and any crash inside a step ("job attempt crashed") log where and what kind of
error it was, never the error's text, which for pydantic quotes the input (`input_value='…'`).

The failures are injected through names the extract job type's functions look up at call time (its
prompt's `data_block`, its assemble's `cv_data_from`), so the real worker handler, the fake OpenAI
server and moto run the job as in production."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, NoReturn

import pytest
from pydantic import BaseModel, ValidationError

from cv_jobs.api.handler import lambda_handler as api_handler
from cv_jobs.job_types import extract
from cv_jobs.job_types.cv_data import CVData, CvOut
from tests.unit.canary_support import cv_with_marker
from tests.unit.conftest import Aws, Logs, Providers
from tests.unit.events import api_context, api_event
from tests.unit.samples import sample
from tests.unit.worker_support import OPENAI_BYOK, deliver, job, submit


class _Year(BaseModel):
    """A model with none of our base configs: the logging must hold for any model, not only ours."""

    year: int


def _validation_error_quoting(text: str) -> ValidationError:
    try:
        _Year.model_validate({"year": text})
    except ValidationError as error:
        return error
    raise AssertionError("the text validated as a year")


def _submit_cv_with_marker() -> tuple[str, str]:
    marker = f"canary-cv-{uuid.uuid4().hex}"
    body = {"cv_text": cv_with_marker(sample("cv_backend_engineer.txt"), marker)}
    return submit(OPENAI_BYOK, body=body), marker


def _marker_in(text: str) -> str:
    found = re.search(r"canary-cv-[0-9a-f]{32}", text)
    assert found is not None
    return found.group()


def _run_to_the_end(aws: Aws, job_id: str) -> dict[str, Any]:
    """Deliveries until the job is finished (internal_error is retried, up to MAX_ATTEMPTS)."""
    for _ in range(4):
        deliver(aws)
        item = job(aws, job_id)
        if item["status"] not in ("queued", "processing"):
            return item
    return job(aws, job_id)


def _lines(logs: Logs) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.text.splitlines() if line.startswith("{")]


def _assert_marker_nowhere(marker: str, logs: Logs, capfd: pytest.CaptureFixture[str]) -> None:
    printed = capfd.readouterr()
    assert marker not in logs.text
    assert marker not in printed.out
    assert marker not in printed.err


def test_an_assemble_validation_error_over_cv_text_is_logged_without_the_text(
    aws: Aws,
    providers: Providers,
    logs: Logs,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an extract job whose assemble raises a ValidationError quoting the CV's marker
    job_id, marker = _submit_cv_with_marker()
    assert marker in str(_validation_error_quoting(marker))  # as pydantic does by default

    def assemble_failing(cv: CvOut, *, with_target_job: bool) -> CVData:
        raise _validation_error_quoting(f"{marker} {with_target_job}")

    monkeypatch.setattr(extract, "cv_data_from", assemble_failing)
    # When the worker runs it
    item = _run_to_the_end(aws, job_id)
    # Then the job failed with internal_error, the failure was logged with its location and type,
    # and the marker is in no log line
    assert (item["status"], item["error"]["code"]) == ("failed", "internal_error")
    _assert_marker_nowhere(marker, logs, capfd)
    lines = [entry for entry in _lines(logs) if entry["message"] == "assembling the result failed"]
    assert len(lines) == 3  # MAX_ATTEMPTS
    line = lines[-1]
    assert line["error_type"] == "ValidationError"
    assert line["problems"] == ["year:int_parsing"]
    assert "in assemble_failing\n" in line["traceback"]
    assert "exception" not in line


@pytest.mark.parametrize("kind", ["ValidationError", "ValueError"])
def test_a_step_crash_carrying_cv_text_is_logged_without_the_text(
    kind: str,
    aws: Aws,
    providers: Providers,
    logs: Logs,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an extract job whose prompt builder raises an exception whose text quotes the CV
    def data_block_failing(tag: str, content: Any) -> NoReturn:
        if kind == "ValidationError":
            # The marker alone: pydantic cuts a long input short in the middle, a short one it quotes whole
            raise _validation_error_quoting(_marker_in(str(content)))
        raise ValueError(f"cannot quote {tag}: {content}")

    job_id, marker = _submit_cv_with_marker()
    monkeypatch.setattr(extract, "data_block", data_block_failing)
    # When the worker runs it
    item = _run_to_the_end(aws, job_id)
    # Then the job failed with internal_error, the crash was logged with its type and where it
    # happened, and the marker is in no log line
    assert (item["status"], item["error"]["code"]) == ("failed", "internal_error")
    _assert_marker_nowhere(marker, logs, capfd)
    assert providers.openai.requests == []
    lines = [entry for entry in _lines(logs) if entry["message"] == "job attempt crashed"]
    assert len(lines) == 3  # MAX_ATTEMPTS
    line = lines[-1]
    assert line["error_type"] == kind
    assert "in data_block_failing\n" in line["traceback"]
    assert line["traceback"].endswith(f"\n{kind}")
    assert "exception" not in line


@pytest.mark.parametrize("model", [CvOut, CVData])
def test_our_output_and_result_models_never_quote_their_input_in_errors(model: type[BaseModel]) -> None:
    # Given a value carrying a marker where the model wants an object
    marker = f"canary-cv-{uuid.uuid4().hex}"
    # When one of our step-output or result models rejects it
    with pytest.raises(ValidationError) as raised:
        model.model_validate({"personal": marker})
    # Then the error's text (what a traceback or a careless log line shows) names the location, not
    # the value
    assert "personal" in str(raised.value)
    assert marker not in str(raised.value)


def test_an_api_crash_over_the_requests_cv_is_logged_without_the_text(
    aws: Aws, logs: Logs, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an api whose job creation fails with an error quoting the request's CV (a bug)
    marker = f"canary-cv-{uuid.uuid4().hex}"
    from cv_jobs.api import service

    def crash(*_args: Any, **_kwargs: Any) -> NoReturn:
        raise _validation_error_quoting(marker)

    monkeypatch.setattr(service.JobService, "create", crash)
    # When a CV carrying the marker is submitted
    body = {"cv_text": cv_with_marker(sample("cv_backend_engineer.txt"), marker)}
    response = api_handler(api_event("POST", "/ai/jobs/extract", body=body), api_context())
    # Then the client gets our 500, and the log says where and what kind of error, never its text
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["error"]["code"] == "internal_error"
    [line] = [line for line in _lines(logs) if line.get("message") == "unhandled error"]
    assert (line["error_type"], line["problems"]) == ("ValidationError", ["year:int_parsing"])
    _assert_marker_nowhere(marker, logs, capfd)
