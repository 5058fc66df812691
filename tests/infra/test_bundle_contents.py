"""What the bundler leaves out (infra/bundle_pruning.py), and that it never leaves out what a
handler imports: each function's Powertools utilities are the ones its code paths load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infra.bundling import API, WORKER, BundleSpec
from tests.infra.synth import Synth

REPO = Path(__file__).resolve().parents[2]
NO_LLM_CLIENT = ("openai", "httpx", "httpcore", "anyio", "h11", "jiter")


def _asset(synth: Synth, name: str) -> Path:
    function = getattr(synth.stack, name).function
    return synth.outdir / synth.resource(function)["Metadata"]["aws:asset:path"]


@pytest.mark.parametrize(("name", "spec"), [("api", API), ("worker", WORKER)])
def test_each_bundle_keeps_only_the_powertools_utilities_its_function_imports(
    dev: Synth, name: str, spec: BundleSpec
) -> None:
    utilities = _asset(dev, name) / "aws_lambda_powertools" / "utilities"

    kept = {path.name for path in utilities.iterdir() if path.is_dir() and path.name != "__pycache__"}

    assert kept == set(spec.powertools_utilities)


@pytest.mark.parametrize("name", ["api", "worker"])
def test_bundles_carry_no_stubs_swagger_assets_or_installer_bookkeeping(dev: Synth, name: str) -> None:
    asset = _asset(dev, name)

    assert list(asset.rglob("*.pyi")) == []
    assert list(asset.rglob("py.typed")) == []
    assert [path for path in asset.rglob("tests") if path.is_dir()] == []
    assert list(asset.rglob("swagger-ui-bundle.min.js")) == []
    assert list(asset.glob("*.dist-info/RECORD")) == []
    # Versions still resolve and licences travel with the code.
    assert list(asset.glob("pydantic-*.dist-info/METADATA"))


@pytest.mark.parametrize("name", ["api", "worker", "sweeper", "model_check"])
def test_every_bundle_that_builds_aws_clients_carries_their_endpoint_data(dev: Synth, name: str) -> None:
    # Without it the clients still work, but read botocore's whole endpoints.json on a cold start.
    asset = _asset(dev, name)

    assert (asset / "cv_jobs" / "aws" / "botocore_data" / "endpoints.json").is_file()
    assert list((asset / "cv_jobs" / "aws" / "botocore_data").glob("*/*/service-2.json"))


def test_the_api_bundle_carries_no_llm_client_library(dev: Synth) -> None:
    asset = _asset(dev, "api")

    assert [name for name in NO_LLM_CLIENT if (asset / name).exists()] == []


def test_the_handlers_import_no_powertools_utility_their_bundle_leaves_out() -> None:
    # Given a fresh interpreter running the api's routes (create, poll, 404, 400, 422, OpenAPI) and
    # then a worker batch with a job of each provider, against moto and the fake providers
    script = textwrap.dedent(
        """
        import os, sys
        from infra.config import environment_config_from_file
        from local.aws_emulator import AwsEmulator, provision
        from local.fakes import FakeGeminiServer, FakeOpenAIServer
        from local.function_environments import function_environments
        from local.sqs_poller import SqsPoller
        from tests.unit.events import api_context, api_event, worker_context

        def utilities():
            prefix = "aws_lambda_powertools.utilities."
            return sorted({m[len(prefix):].split(".")[0] for m in sys.modules if m.startswith(prefix)})

        config = environment_config_from_file("dev")
        with AwsEmulator("127.0.0.1", 0) as aws, FakeOpenAIServer() as openai, FakeGeminiServer() as gemini:
            resources = provision(aws, config, system_openai_key="sk-canary-system-0000000000")
            envs = function_environments(config, resources, aws_endpoint=aws.endpoint_url,
                                         openai_base_url=openai.base_url, gemini_base_url=gemini.url)
            os.environ.update({**envs.api, **envs.worker, "POWERTOOLS_LOG_LEVEL": "ERROR"})
            from cv_jobs.api.handler import lambda_handler as api
            body = {"cv_text": open("samples/cv_backend_engineer.txt").read()}
            for provider, key in (("gemini", "AIza-canary-0123456789"), ("openai", "sk-canary-0123456789")):
                headers = {"X-User-Provider": provider, "X-User-Api-Key": key}
                event = api_event("POST", "/ai/jobs/extract", body=body, headers=headers)
                assert api(event, api_context())["statusCode"] == 202
            others = (("GET", "/ai/openapi.json", None), ("GET", "/nowhere", None),
                      ("POST", "/ai/jobs/extract", "{"), ("POST", "/ai/jobs/extract", {"cv_text": 1}))
            for method, path, body in others:
                api(api_event(method, path, body=body), api_context())
            print("api", ",".join(utilities()))
            from cv_jobs.worker.handler import lambda_handler as worker
            poller = SqsPoller(sqs=aws.client("sqs"), queue_url=resources.queue_url,
                               queue_arn=resources.queue_arn, worker_handler=worker, batch_size=10,
                               timeout_seconds=60, wait_seconds=1, log=lambda line: None)
            assert poller.poll_once() == 2
            print("worker", ",".join(utilities()))
        """
    )
    # When it has run
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script],
        cwd=REPO,
        env={"PYTHONPATH": f"{REPO / 'functions'}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = dict(
        line.split(" ", 1) for line in result.stdout.splitlines() if line.startswith(("api ", "worker "))
    )
    # Then every utility either function loaded is one its bundle keeps
    assert set(loaded["api"].split(",")) <= set(API.powertools_utilities)
    assert set(loaded["worker"].split(",")) <= set(WORKER.powertools_utilities)
