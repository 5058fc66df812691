"""What a job's provider call costs beyond the call, and what jobs must still not share.

Building an SSL context reads the whole CA bundle (~20 ms of CPU here, several times that at 512 MB):
a warm worker does it once, not once per job. Each job still has a client of its own, so nothing a
provider hands one job (a cookie, a pooled connection with its state) reaches another job.
"""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from local.examples import example_request
from tests.unit.conftest import Aws, Providers
from tests.unit.worker_support import GEMINI_BYOK, OPENAI_BYOK, deliver, job, submit

REPHRASE = example_request("rephrase")


@pytest.fixture
def ca_bundle_reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every `load_verify_locations` (what an SSL context pays to trust the CAs), as it happens."""
    reads: list[Any] = []
    original = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        reads.append(args or kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    return reads


def test_a_warm_worker_reads_the_ca_bundle_for_no_further_job(
    aws: Aws, providers: Providers, ca_bundle_reads: list[Any]
) -> None:
    # Given a worker that has run one job with each provider
    submit(OPENAI_BYOK, "rephrase", REPHRASE)
    submit(GEMINI_BYOK, "rephrase", REPHRASE)
    deliver(aws)
    ca_bundle_reads.clear()
    # When it runs four more
    job_ids = [
        submit(headers, "rephrase", REPHRASE)
        for headers in (OPENAI_BYOK, GEMINI_BYOK, OPENAI_BYOK, GEMINI_BYOK)
    ]
    deliver(aws)
    # Then all four succeed without reading the CA bundle again
    assert [job(aws, job_id)["status"] for job_id in job_ids] == ["succeeded"] * 4
    assert ca_bundle_reads == []


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_a_cookie_a_provider_sets_on_one_job_is_never_sent_on_another(
    aws: Aws, providers: Providers, provider: str
) -> None:
    # Given a provider that sets a cookie on its answer to one job (as a CDN in front of it may)
    fake = getattr(providers, provider)
    headers = OPENAI_BYOK if provider == "openai" else GEMINI_BYOK
    fake.fail_next(429, headers={"Set-Cookie": "__cf_bm=first-job-visitor; Path=/; HttpOnly"})
    submit(headers, "rephrase", REPHRASE)
    deliver(aws, retry_visibility_seconds=None)
    # When the worker, still warm, runs another user's job on the same provider
    other = submit(headers, "rephrase", REPHRASE)
    deliver(aws, retry_visibility_seconds=None)
    # Then that job's call carried no cookie from the first one
    assert job(aws, other)["status"] == "succeeded"
    assert len(fake.requests) == 2
    assert [request.header("cookie") for request in fake.requests] == [None, None]
