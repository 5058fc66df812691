"""The banner local mode prints once the stack is serving: where the API, the playground and the
emulated AWS are, which providers the worker calls, the fault and log settings, and commands to try."""

from __future__ import annotations

from pathlib import Path

from infra.config import EnvironmentConfig
from local.aws_emulator import REGION, LocalResources

REPO_ROOT = Path(__file__).resolve().parent.parent


def print_banner(
    config: EnvironmentConfig,
    resources: LocalResources,
    *,
    api_url: str,
    playground_line: str,
    aws_endpoint: str,
    api_key: str,
    fake_llm: bool,
    system_key_set: bool,
    openai_base_url: str | None,
    gemini_base_url: str | None,
    fault_lines: list[str] | None = None,
    log_line: str = "",
) -> None:
    providers = (
        "FAKE local servers (FAKE_LLM=1) - no real model is called"
        if fake_llm
        else f"real (OpenAI {openai_base_url or 'api.openai.com'}, "
        f"Gemini {gemini_base_url or 'generativelanguage.googleapis.com'})"
    )
    system_key = "set" if system_key_set else "NOT set (system-path jobs fail: configuration_error)"
    sample = (REPO_ROOT / "samples" / "cv_backend_engineer.txt").relative_to(REPO_ROOT)
    lines = [
        "",
        f"CV AI Jobs - local mode (environment {config.name!r})",
        f"  API           {api_url}   (X-API-Key: {api_key})",
        playground_line,
        "  cvjobs        .venv/bin/cvjobs submit extract --cv samples/cv_backend_engineer.txt --wait",
        f"  AWS endpoint  {aws_endpoint}   (region {REGION}, any credentials)",
        f"  jobs table    {resources.table_name}",
        f"  jobs queue    {resources.queue_url}  (DLQ after {config.max_receive_count} receives)",
        f"  providers     {providers}",
        *(fault_lines or []),
        *([log_line] if log_line else []),
        f"  system key    {system_key}; system path {'on' if config.system_path_enabled else 'off'}",
        "",
        "  Create a job:",
        "    python3 -c 'import json,sys; print(json.dumps({\"cv_text\": open(sys.argv[1]).read()}))' \\",
        f"      {sample} \\",
        f"      | curl -s -X POST {api_url}/ai/jobs/extract -H 'X-API-Key: {api_key}' \\",
        "          -H 'Content-Type: application/json' --data @-",
        "  Poll it:",
        f"    curl -s {api_url}/ai/jobs/<job_id> -H 'X-API-Key: {api_key}'",
        "  Inspect AWS:",
        "    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \\",
        f"      .venv/bin/aws --endpoint-url {aws_endpoint} --region {REGION} \\",
        f"      dynamodb scan --table-name {resources.table_name}",
        "",
        "Ctrl-C to stop.",
        "",
    ]
    print("\n".join(lines), flush=True)
