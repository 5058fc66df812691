"""The smoke script (`python -m local.smoke`, `make smoke`) run as a subprocess against fake
providers started here (its "real" providers, by OPENAI_BASE_URL / GEMINI_BASE_URL), with canary
keys: the table, the exit status, the keys in the providers' headers and never in its output, and
the one-line skip without keys.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from cv_jobs.job_types import JOB_TYPES
from local.fakes import FakeGeminiServer, FakeOpenAIServer
from tests.e2e.support import CANARY_KEYS, GEMINI_BYOK_KEY, OPENAI_BYOK_KEY, REPO_ROOT, REVOKED_OPENAI_KEY

pytestmark = pytest.mark.e2e

SMOKE_TIMEOUT_SECONDS = 120
# Whatever the developer's shell holds, the script sees only what a test gives it.
_NOT_INHERITED = (
    "OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "OPENAI_BASE_URL",
    "GEMINI_BASE_URL",
    "FAKE_LLM",
)


@dataclass(frozen=True)
class Fakes:
    openai: FakeOpenAIServer
    gemini: FakeGeminiServer


@dataclass(frozen=True)
class SmokeRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def row(self, job_path: str, provider: str) -> list[str]:
        """The table row of a job type and provider, split into its columns."""
        rows = [line.split() for line in self.stdout.splitlines() if line.split()[:2] == [job_path, provider]]
        assert len(rows) == 1, f"expected one row for {job_path}/{provider}:\n{self.output}"
        return rows[0]


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    with FakeOpenAIServer() as openai, FakeGeminiServer() as gemini:
        yield Fakes(openai, gemini)


def _smoke(fakes: Fakes, **variables: str) -> SmokeRun:
    env = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    env.update({"OPENAI_BASE_URL": fakes.openai.base_url, "GEMINI_BASE_URL": fakes.gemini.url, **variables})
    done = subprocess.run(
        [sys.executable, "-m", "local.smoke"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT_SECONDS,
        check=False,
    )
    return SmokeRun(done.returncode, done.stdout, done.stderr)


def test_smoke_runs_every_job_type_on_each_provider_with_a_key_and_passes(fakes: Fakes) -> None:
    # Given both keys set (canaries) and the providers' base URLs pointing at the fakes
    fakes.openai.clear()
    fakes.gemini.clear()

    # When the smoke script runs
    run = _smoke(fakes, OPENAI_API_KEY=OPENAI_BYOK_KEY, GEMINI_API_KEY=GEMINI_BYOK_KEY)

    # Then it passed, with one succeeded row per job type and provider, seconds and tokens filled in
    assert run.returncode == 0, run.output
    assert run.stdout.splitlines()[1].split()[:4] == ["job", "type", "provider", "model"]
    for job_type in JOB_TYPES:
        for provider in ("openai", "gemini"):
            _, _, model, status, seconds, tokens, *detail = run.row(job_type.path, provider)
            assert (status, detail) == ("succeeded", []), run.output
            assert model != "-"
            assert float(seconds) > 0
            # (once, under load, a row showed "-" here: the output says which job and how it went)
            assert tokens.isdigit(), run.output
            assert int(tokens) > 0
    assert f"{len(JOB_TYPES) * 2} of {len(JOB_TYPES) * 2} jobs succeeded" in run.stdout
    # and each provider got its key in its own header, one call per step of every job type
    steps = sum(len(job_type.steps) for job_type in JOB_TYPES)
    assert [r.header("authorization") for r in fakes.openai.requests] == [f"Bearer {OPENAI_BYOK_KEY}"] * steps
    assert [r.header("x-goog-api-key") for r in fakes.gemini.requests] == [GEMINI_BYOK_KEY] * steps
    # and no key appears anywhere in what the script printed
    assert not [key for key in CANARY_KEYS if key in run.output]


def test_smoke_fails_when_a_job_fails_and_still_prints_no_key(fakes: Fakes) -> None:
    # Given only an OpenAI key, one the provider rejects
    fakes.openai.clear()
    fakes.gemini.clear()
    fakes.openai.reject_key(REVOKED_OPENAI_KEY)

    # When the smoke script runs
    run = _smoke(fakes, OPENAI_API_KEY=REVOKED_OPENAI_KEY)

    # Then it exits non-zero, each job failed with the error code, Gemini was not tried
    assert run.returncode == 1, run.output
    for job_type in JOB_TYPES:
        _, _, _, status, _, _, *detail = run.row(job_type.path, "openai")
        assert (status, detail) == ("failed", ["invalid_api_key"]), run.output
    assert " gemini " not in run.stdout
    assert fakes.gemini.requests == []
    assert f"{len(JOB_TYPES)} of {len(JOB_TYPES)} jobs did not succeed" in run.stdout
    # and the rejected key is not in the output
    assert REVOKED_OPENAI_KEY not in run.output


@pytest.mark.parametrize("blank", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_smoke_without_keys_says_it_skipped_and_passes(fakes: Fakes, blank: str | None) -> None:
    # Given neither key (unset, or set to nothing)
    fakes.openai.clear()
    keys = {} if blank is None else {"OPENAI_API_KEY": blank, "GEMINI_API_KEY": blank}

    # When the smoke script runs
    run = _smoke(fakes, **keys)

    # Then it prints one line saying it skipped and why, exits 0, and starts nothing
    assert run.returncode == 0, run.output
    (line,) = run.output.splitlines()
    assert "skipped" in line
    assert "OPENAI_API_KEY" in line
    assert "GEMINI_API_KEY" in line
    assert fakes.openai.requests == []
