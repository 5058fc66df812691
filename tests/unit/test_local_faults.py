"""Local mode's fault switches (local/faults): the AWS fault plan and its botocore hook, worker crashes
(in a child process: a crash is a real SIGKILL) and the settings local.run reads."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore import handlers
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from local.faults import events
from local.faults.aws import AwsFaultInjector, AwsFaultPlan
from local.faults.settings import LocalFaults
from tests.e2e.support import REPO_ROOT

JOB_ID = "3f1c1b9e-8f5e-4c36-9a55-0d3c1f0e2a77"


@pytest.fixture
def builtin_handlers() -> Iterator[None]:
    """botocore's handler list as it was: a test that hooks every new session puts it back."""
    saved = list(handlers.BUILTIN_HANDLERS)
    yield
    handlers.BUILTIN_HANDLERS[:] = saved


def _dynamodb(session: botocore.session.Session) -> Any:
    # An endpoint nothing listens on, one try: a call the hook does not fail is refused at once.
    return session.create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )


def test_aws_fault_plan_reads_services_and_rates_and_refuses_the_rest() -> None:
    # Given the README's example, When it is parsed, Then each service has its share
    assert AwsFaultPlan.parse("dynamodb:0.02,kms:0.01,sqs:0.01").rates == {
        "dynamodb": 0.02,
        "kms": 0.01,
        "sqs": 0.01,
    }
    assert not AwsFaultPlan.parse("")
    # and a process prefix fails that process's calls only, over the rate for every process
    plan = AwsFaultPlan.parse("dynamodb:0.02,api.dynamodb:0.5,worker.kms:0.1")
    assert plan.for_process("api") == {"dynamodb": 0.5}
    assert plan.for_process("worker") == {"dynamodb": 0.02, "kms": 0.1}
    # and an unknown service, a missing or bad rate are refused with a sentence
    for text, complaint in (
        ("s3:0.1", "service one of"),
        ("kms", "service one of"),
        ("kms:2", "between 0 and 1"),
    ):
        with pytest.raises(ValueError, match=complaint):
            AwsFaultPlan.parse(text)


def test_a_failed_call_is_the_services_own_error_and_names_its_job(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a session whose every DynamoDB call fails
    session = botocore.session.get_session()
    AwsFaultInjector(AwsFaultPlan.parse("dynamodb:1"), seed=3, process="worker").install(session)
    client = _dynamodb(session)

    # When calls about a job are made
    failures = []
    for _ in range(12):
        try:
            client.get_item(TableName="jobs", Key={"job_id": {"S": JOB_ID}})
        except ClientError as error:
            failures.append(error.response["Error"]["Code"])
        except EndpointConnectionError:
            failures.append("connection")

    # Then each failed as throttling, an internal error or a lost connection, without being sent
    assert set(failures) == {"ProvisionedThroughputExceededException", "InternalServerError", "connection"}
    # and each failure was logged as a fault event naming the job
    logged = events.read(capsys.readouterr().err.splitlines())
    assert len(logged) == 12
    assert {event["job_id"] for event in logged} == {JOB_ID}
    assert {event["operation"] for event in logged} == {"GetItem"}


@pytest.mark.usefixtures("builtin_handlers")
def test_the_hook_reaches_sessions_made_after_it_and_none_made_before() -> None:
    # Given a session made before the hook is installed for every new session, and one made after
    # (seed 1: the first failure drawn is throttling)
    before = botocore.session.get_session()
    AwsFaultInjector(AwsFaultPlan.parse("dynamodb:1"), seed=1).install()
    after = botocore.session.get_session()

    # When each calls DynamoDB, Then the later one gets the injected throttling, never sent
    with pytest.raises(ClientError) as hooked:
        _dynamodb(after).get_item(TableName="jobs", Key={"job_id": {"S": JOB_ID}})
    assert hooked.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert hooked.value.response["ResponseMetadata"]["RequestId"] == "local-fault"
    # and the earlier one really tried to connect (nothing listens there)
    with pytest.raises(EndpointConnectionError):
        _dynamodb(before).get_item(TableName="jobs", Key={"job_id": {"S": JOB_ID}})


_CRASHING_WORKER = """
import json, sys
sys.path[:0] = [{functions!r}, {root!r}]
from local.faults.crash import install_worker_crashes
handler = install_worker_crashes(sys.argv[1], lambda event, context: "batch done")
print(handler({{"Records": [{{"body": json.dumps({{"job_id": {job!r}}})}}]}}, None), flush=True)
"""


@pytest.mark.parametrize(("rate", "crashes"), [("1", True), ("0", False)])
def test_a_doomed_invocation_is_killed_as_a_lambda_would_be(rate: str, crashes: bool) -> None:
    # Given a worker handler wrapped with LOCAL_WORKER_CRASH_RATE, in its own process
    code = _CRASHING_WORKER.format(functions=str(REPO_ROOT / "functions"), root=str(REPO_ROOT), job=JOB_ID)

    # When it runs one batch
    done = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", code, rate], capture_output=True, text=True, timeout=60, check=False
    )

    # Then at rate 1 the process is SIGKILLed before it answers, logging the batch's job ids;
    # at rate 0 the batch is answered
    if crashes:
        assert done.returncode == -signal.SIGKILL, done.stderr
        assert "batch done" not in done.stdout
        (crash,) = events.read(done.stderr.splitlines())
        assert crash["local_fault"] == events.WORKER_CRASH
        assert crash["job_ids"] == [JOB_ID]
    else:
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "batch done"
        assert events.read(done.stderr.splitlines()) == []


def test_local_fault_settings_are_read_and_a_wrong_one_is_named() -> None:
    # Given fault variables as a user sets them
    faults = LocalFaults.from_env(
        {
            "FAKE_LLM_FAULTS": "429:0.1,timeout:0.02",
            "FAKE_LLM_SEED": "7",
            "LOCAL_FAKE_OPENAI_PORT": "3101",
            "LOCAL_WORKER_CRASH_RATE": "0.05",
            "LOCAL_AWS_FAULTS": "kms:0.01",
            "LOCAL_VISIBILITY_SECONDS": "5",
            "LOCAL_WORKER_TIMEOUT_SECONDS": "15",
        }
    )

    # Then each is read, and the banner says what is on
    assert faults.provider_faults.rates == {"429": 0.1, "timeout": 0.02}
    assert (faults.seed, faults.fake_openai_port, faults.fake_gemini_port) == (7, 3101, 0)
    assert (faults.crash_rate, faults.visibility_seconds, faults.worker_timeout_seconds) == (0.05, 5, 15)
    banner = "\n".join(faults.banner_lines({"OpenAI": "http://127.0.0.1:3101"}))
    assert "http://127.0.0.1:3101/_fake/stats" in banner
    assert "429:0.1,timeout:0.02, seed 7" in banner
    assert "worker crashes 0.05" in banner
    assert "AWS kms:0.01" in banner
    # and a wrong value stops the start with the variable's name
    for wrong, name in (
        ({"FAKE_LLM_FAULTS": "418:0.1"}, "FAKE_LLM_FAULTS"),
        ({"LOCAL_AWS_FAULTS": "s3:0.1"}, "LOCAL_AWS_FAULTS"),
        ({"LOCAL_WORKER_CRASH_RATE": "often"}, "LOCAL_WORKER_CRASH_RATE"),
        ({"LOCAL_WORKER_TIMEOUT_SECONDS": "3"}, "LOCAL_WORKER_TIMEOUT_SECONDS"),
    ):
        with pytest.raises(ValueError, match=name):
            LocalFaults.from_env(wrong)
    # and nothing set means no faults at all
    quiet = LocalFaults.from_env({})
    assert not quiet.provider_faults
    assert not quiet.aws_faults
    assert quiet.crash_rate == 0
    assert quiet.banner_lines({}) == []


def test_fault_events_are_read_back_from_a_mixed_log() -> None:
    # Given a log with the functions' lines, a fault event and a line cut by a crash
    lines = [
        json.dumps({"level": "INFO", "message": "job started"}),
        json.dumps({"local_fault": "aws", "at": 1.5, "job_id": JOB_ID}),
        '{"local_fault": "worker_cr',
    ]
    # When the fault events are read, Then only the whole fault event is
    assert events.read(lines) == [{"local_fault": "aws", "at": 1.5, "job_id": JOB_ID}]
    assert events.job_id_in(json.dumps({"Key": {"job_id": {"S": JOB_ID}}})) == JOB_ID
    assert events.job_id_in(b"no id here") is None
