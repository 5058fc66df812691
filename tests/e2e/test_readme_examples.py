"""The README's "Try it" examples run as written, against a fresh `FAKE_LLM=1` local stack.

The test takes the bash blocks of that section, changes only the port numbers (the README's
3000/4566 become free ports of a stack started here), runs them with bash from the repository root,
and checks they print what the README says: a job that succeeded on the system key and one on a
BYOK Gemini key, the 400 refusal, a cancel, and the jobs table read with the aws CLI and with boto3.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.child_stack import ChildStack, StackNotServing, free_port
from tests.e2e.support import REPO_ROOT, SHUTDOWN_TIMEOUT_SECONDS, STARTUP_TIMEOUT_SECONDS

pytestmark = pytest.mark.e2e

README = REPO_ROOT / "README.md"
SECTION = "### Try it"
README_API_HOST = "127.0.0.1:3000"
README_AWS_HOST = "127.0.0.1:4566"
EXAMPLES_TIMEOUT_SECONDS = 180
# What the examples call, and the one line that says how to get it.
TOOLS = {
    "curl": "apt-get install curl",
    "jq": "apt-get install jq (make setup does it where it can)",
}
# The README calls the AWS CLI the set-up installs into the virtualenv.
VENV_AWS = REPO_ROOT / ".venv" / "bin" / "aws"


def readme_examples() -> str:
    """The bash blocks of the README's "Try it" section, in order, as one script."""
    lines = README.read_text(encoding="utf-8").splitlines()
    if SECTION not in lines:
        pytest.fail(f"README.md has no {SECTION!r} section")
    blocks: list[list[str]] = []
    in_block = False
    for line in lines[lines.index(SECTION) + 1 :]:
        if in_block:
            if line.strip() == "```":
                in_block = False
            else:
                blocks[-1].append(line)
        elif line.strip() == "```bash":
            in_block = True
            blocks.append([])
        elif line.startswith("#"):
            break  # the next heading ends the section
    if not blocks:
        pytest.fail(f"README.md's {SECTION!r} section has no ```bash block")
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _user_environment() -> dict[str, str]:
    """This process's environment without AWS, Powertools, provider or local-mode settings: what a
    user's shell has before following the README."""
    dropped = ("AWS_", "POWERTOOLS_", "OPENAI_", "GEMINI_", "GOOGLE_", "LOCAL_", "FAKE_LLM")
    return {name: value for name, value in os.environ.items() if not name.startswith(dropped)}


@pytest.fixture(scope="module")
def tools() -> None:
    for tool, install in TOOLS.items():
        if shutil.which(tool) is None:
            message = f"the README's examples need `{tool}`, which is not installed: {install}"
            pytest.fail(message, pytrace=False)
    if not VENV_AWS.exists():
        pytest.fail("the README's examples need .venv/bin/aws: run make setup", pytrace=False)


@pytest.fixture(scope="module")
def fake_llm_stack(tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """`FAKE_LLM=1 make run`'s stack (the README's), on free ports; yields (api port, aws port)."""
    log_path = tmp_path_factory.mktemp("readme-stack") / "local-run.log"
    api_port, aws_port = free_port(), free_port()
    env = {
        **_user_environment(),
        "FAKE_LLM": "1",
        "LOCAL_API_PORT": str(api_port),
        "LOCAL_AWS_PORT": str(aws_port),
        # The README's examples use no playground; port 5173 stays free for a developer's make run.
        "LOCAL_PLAYGROUND_PORT": "off",
        "PYTHONUNBUFFERED": "1",
    }
    child = ChildStack(env, log_path, f"http://127.0.0.1:{api_port}")
    try:
        child.start(STARTUP_TIMEOUT_SECONDS)
    except StackNotServing as error:
        pytest.fail(str(error))
    try:
        yield api_port, aws_port
    finally:
        child.stop(SHUTDOWN_TIMEOUT_SECONDS)


def _json_objects(output: str) -> list[dict[str, Any]]:
    """Every JSON object the script printed at the start of a line (jq's and curl's output)."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    for match in re.finditer(r"^\{", output, re.MULTILINE):
        try:
            value, _ = decoder.raw_decode(output, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects


def test_readme_try_it_examples_run_as_written(fake_llm_stack: tuple[int, int], tmp_path: Path) -> None:
    # Given the README's examples, pointed at this stack by changing only the port numbers
    api_port, aws_port = fake_llm_stack
    script = readme_examples()
    assert README_API_HOST in script
    assert README_AWS_HOST in script
    script = script.replace(README_API_HOST, f"127.0.0.1:{api_port}").replace(
        README_AWS_HOST, f"127.0.0.1:{aws_port}"
    )
    script_path = tmp_path / "try_it.sh"
    script_path.write_text(script, encoding="utf-8")
    # and a user's shell with no AWS settings: no credentials but the ones the README passes
    env = {
        **_user_environment(),
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }

    # When they run with bash from the repository root, stopping at the first failing command
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run(  # noqa: S603 - the README's own examples, as a user runs them
        [bash, "-euo", "pipefail", str(script_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=EXAMPLES_TIMEOUT_SECONDS,
        check=False,
    )

    # Then every command succeeded
    output = result.stdout
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr}\n--- stdout ---\n{output}"
    objects = _json_objects(output)
    # and the system-key job and the BYOK Gemini job both succeeded
    finished = [(o.get("status"), o.get("provider"), o.get("credential")) for o in objects]
    assert ("succeeded", "openai", "system") in finished, output
    assert ("succeeded", "gemini", "user") in finished, output
    # and one BYOK header alone was refused with a 400 in the service's error body
    refusals = [o for o in objects if isinstance(o.get("error"), dict) and "detail" in o]
    assert [o["error"]["code"] for o in refusals] == ["invalid_byok_headers"], output
    assert "HTTP 400" in output
    # and the cancel answered with the job's status (cancelled, or its final one if it was quicker)
    cancels = [o for o in objects if set(o) == {"job_id", "status"}]
    assert len(cancels) == 1, output
    assert cancels[0]["status"] in ("cancelled", "succeeded"), output
    # and both table inspections (aws CLI, boto3) list the first job as a succeeded system-key extract
    [first_job_id] = re.findall(r"^queued (\S+)$", output, re.MULTILINE)
    rows = [line.split() for line in output.splitlines() if line.startswith(first_job_id)]
    assert rows == [[first_job_id, "extract", "succeeded", "openai", "system"]] * 2, output
    # and the cancelled job is in the table too
    assert sum(line.startswith(cancels[0]["job_id"]) for line in output.splitlines()) == 2, output
