"""model-check Lambda, run daily by an EventBridge schedule. Wiring only; the check is in check.py.

It reads the system OpenAI key (the only secret it may read) to ask OpenAI; there is no system Gemini
key, so Gemini models are checked against the known shutdown schedule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cv_jobs.aws import clients
from cv_jobs.aws.system_key import SystemKeyMissing, SystemKeyProvider
from cv_jobs.credentials import ApiKey, Provider
from cv_jobs.model_check.check import check_models, report
from cv_jobs.observability import logger, metrics, secret_in_use
from cv_jobs.settings import ModelCheckSettings


def _system_key(settings: ModelCheckSettings) -> ApiKey | None:
    if not settings.system_openai_secret_arn:
        return None
    provider = SystemKeyProvider(
        clients.client("secretsmanager"), settings.system_openai_secret_arn, cache_seconds=0
    )
    try:
        return provider.get()
    except SystemKeyMissing as error:
        logger.info(
            "no system OpenAI key: OpenAI models checked against the schedule only",
            extra={"hint": str(error)},
        )
        return None


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = ModelCheckSettings.from_env()
    key = _system_key(settings)
    with secret_in_use(key.reveal() if key else ""):
        statuses = check_models(
            settings, {Provider.OPENAI: key, Provider.GEMINI: None}, today=datetime.now(UTC).date()
        )
    attention = report(statuses, environment=settings.environment_name)
    return {
        "environment": settings.environment_name,
        "needs_attention": attention,
        "models": [status.as_log() for status in statuses],
    }
