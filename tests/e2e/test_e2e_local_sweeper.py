"""The stale-job sweeper in local mode: its own process runs the real sweeper handler on a short
interval against the emulated AWS, fails a job whose message was lost, and stops when told."""

from __future__ import annotations

import time
import uuid

import pytest

from cv_jobs.aws import clients
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.credentials import CredentialSource, Provider
from infra.config import environment_config_from_file
from local.aws_emulator import AwsEmulator, provision
from local.faults.settings import LocalFaults
from local.function_environments import function_environments, local_sweeper_environment
from local.sweeper_process import SweeperProcess

pytestmark = pytest.mark.e2e


def test_the_local_sweeper_fails_a_job_whose_message_was_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the emulated AWS as local mode provisions it, and a job queued long ago whose message
    # never reached the queue (a SendMessage that failed, then a fail_queued that failed too)
    config = environment_config_from_file("dev")
    with AwsEmulator("127.0.0.1", 0) as aws:
        resources = provision(aws, config, system_openai_key=None)
        environments = function_environments(
            config, resources, aws_endpoint=aws.endpoint_url, openai_base_url=None, gemini_base_url=None
        )
        environment = local_sweeper_environment(environments.sweeper, LocalFaults.from_env({}))
        for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            monkeypatch.setenv(name, environments.sweeper[name])
        table = clients.table(resources.table_name)
        store = JobsStore(table, config.job_ttl_seconds)
        lost, fresh = str(uuid.uuid4()), str(uuid.uuid4())
        long_ago = time.time() - 2 * 3600
        for job_id, created in ((lost, long_ago), (fresh, time.time())):
            store.create(
                job_id=job_id,
                job_type="extract",
                payload={"cv_text": "x"},
                provider=Provider.OPENAI,
                credential=CredentialSource.SYSTEM,
                now=created,
            )
        # When the local sweeper runs a few times
        sweeper = SweeperProcess(environment, interval_seconds=0.5).start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and store.get(lost)["status"] != "failed":  # type: ignore[index]
                time.sleep(0.3)
        finally:
            started = time.monotonic()
            sweeper.stop()
            stopped_in = time.monotonic() - started
        # Then the lost job failed with job_stalled, the fresh one waits, and the sweeper stopped promptly
        lost_item, fresh_item = store.get(lost), store.get(fresh)
        assert lost_item is not None
        assert fresh_item is not None
        assert (lost_item["status"], lost_item["error"]["code"]) == ("failed", "job_stalled")
        assert fresh_item["status"] == "queued"
        assert stopped_in < 5
