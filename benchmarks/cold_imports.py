"""Cold-start import cost of each function, measured in fresh interpreters (`make bench`).

Reports numbers; asserts nothing. What it watches: the api must stay light (no LLM SDKs), and a
Gemini job must not pay for the openai SDK.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUNS = 7

SETUP = (
    "import os, time; os.environ.setdefault('POWERTOOLS_METRICS_NAMESPACE', 'Bench'); "
    "from cv_jobs.credentials import ApiKey, Provider\n"
)
CASES = {
    "api handler": "import cv_jobs.api.handler",
    "worker handler": "import cv_jobs.worker.handler",
    "worker + first Gemini client": (
        "import cv_jobs.worker.handler\n"
        "from cv_jobs.worker.providers import build_client\n"
        "build_client(Provider.GEMINI, ApiKey('AIza-bench-0000'), SETTINGS)"
    ),
    "worker + first OpenAI client": (
        "import cv_jobs.worker.handler\n"
        "from cv_jobs.worker.providers import build_client\n"
        "build_client(Provider.OPENAI, ApiKey('sk-bench-0000'), SETTINGS)"
    ),
}
SETTINGS = (
    "from cv_jobs.settings import WorkerSettings\n"
    "SETTINGS = WorkerSettings(JOBS_TABLE_NAME='t', BYOK_KEY_ARN='k', SYSTEM_OPENAI_SECRET_ARN='s', "
    "OPENAI_MODEL='m', GEMINI_MODEL='g')\n"
)


def measure(code: str) -> float:
    program = SETUP + SETTINGS + "t0 = time.perf_counter()\n" + code + "\nprint(time.perf_counter() - t0)"
    result = subprocess.run(  # noqa: S603 - our interpreter, our code
        [sys.executable, "-c", program],
        cwd=REPO,
        env={"PYTHONPATH": str(REPO / "functions"), "PYTHONDONTWRITEBYTECODE": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    print(f"cold import times, median of {RUNS} fresh interpreters (ms)")
    for name, code in CASES.items():
        samples = [measure(code) * 1000 for _ in range(RUNS)]
        print(f"  {name:<32} {statistics.median(samples):8.1f}   (min {min(samples):.1f})")


if __name__ == "__main__":
    main()
