"""`make models`: the daily model check as a command, against the providers this machine would call.

Checks every model the cdk.json environment configures (LOCAL_ENV, default dev) the way the
scheduled Lambda does (cv_jobs.model_check): with OPENAI_API_KEY / GEMINI_API_KEY where set (else
the providers' published shutdown schedule only), at OPENAI_BASE_URL / GEMINI_BASE_URL where set.
FAKE_LLM=1 asks the local FAKE servers instead. Prints one line per model and exits 1 when a model
is deprecated, unknown to its provider or within 90 days of its shutdown.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent
for _path in (REPO_ROOT / "functions", REPO_ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from cv_jobs.credentials import ApiKey, Provider  # noqa: E402
from cv_jobs.model_check.check import check_models  # noqa: E402
from cv_jobs.model_check.lookup import ModelStatus  # noqa: E402
from cv_jobs.settings import ModelCheckSettings  # noqa: E402
from infra.config import environment_config_from_file  # noqa: E402
from infra.function_settings import model_variables  # noqa: E402
from local.fakes import FakeGeminiServer, FakeOpenAIServer  # noqa: E402

WARNING_DAYS = 90  # as the stack's model check (infra/constructs/model_check.py)
_FAKE_KEYS = {Provider.OPENAI: "sk-local-fake-model-check", Provider.GEMINI: "AIza-local-fake-model-check"}


def main(environ: Mapping[str, str] | None = None, out: TextIO = sys.stdout) -> int:
    env = dict(os.environ if environ is None else environ)
    config = environment_config_from_file(env.get("LOCAL_ENV", "dev"))
    keys = {
        Provider.OPENAI: env.get("OPENAI_API_KEY") or None,
        Provider.GEMINI: env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY") or None,
    }
    base_urls = {"OPENAI_BASE_URL": env.get("OPENAI_BASE_URL"), "GEMINI_BASE_URL": env.get("GEMINI_BASE_URL")}
    with ExitStack() as stack:
        if env.get("FAKE_LLM", "").strip().lower() in {"1", "true", "yes", "on"}:
            fake_openai = stack.enter_context(FakeOpenAIServer())
            fake_gemini = stack.enter_context(FakeGeminiServer())
            base_urls = {"OPENAI_BASE_URL": fake_openai.base_url, "GEMINI_BASE_URL": fake_gemini.url}
            keys = dict(_FAKE_KEYS)
        settings = ModelCheckSettings.model_validate(
            {
                **model_variables(config),
                "MODEL_WARNING_DAYS": WARNING_DAYS,
                **{name: url for name, url in base_urls.items() if url},
            }
        )
        statuses = check_models(
            settings,
            {provider: ApiKey(key) if key else None for provider, key in keys.items()},
            today=datetime.now(UTC).date(),
        )
    print(f"Models of environment {config.name!r} (warning {WARNING_DAYS} days before a shutdown):", file=out)
    for status in statuses:
        print(_line(status), file=out)
    attention = [status for status in statuses if status.needs_attention]
    if attention:
        print(f"{len(attention)} model(s) need attention: switch them in cdk.json (README).", file=out)
    return 1 if attention else 0


def _line(status: ModelStatus) -> str:
    mark = "!!" if status.needs_attention else "ok" if status.state == "available" else "??"
    when = f" shuts down {status.shutdown_date} ({status.days_left} days)" if status.shutdown_date else ""
    how = f" [{status.source or 'not asked'}{': ' + status.detail if status.detail else ''}]"
    return f"  {mark} {status.provider.value:<6} {status.model:<28} {status.state.value}{when}{how}"


if __name__ == "__main__":
    sys.exit(main())
