"""The floor: `POST /ai/jobs/extract` with nothing but a Powertools resolver and boto3.

What a careful team writes when it wants the lightest handler: hand-written checks instead of
Pydantic, the SDK clients made at import (the usual advice, so warm requests reuse them), the same
Powertools logger and metrics as the real api. It does the same work per request: the body and
BYOK header checks, KMS Encrypt of the user key with the job's encryption context, a conditional
DynamoDB put, an SQS message with the sealed key as an attribute, 202.
"""

import json
import os
import time
import uuid

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

logger = Logger()
metrics = Metrics()
table = boto3.resource("dynamodb").Table(os.environ["JOBS_TABLE_NAME"])
sqs = boto3.client("sqs")
kms = boto3.client("kms")
app = APIGatewayRestResolver()

QUEUE_URL = os.environ["JOBS_QUEUE_URL"]
KEY_ARN = os.environ["BYOK_KEY_ARN"]
TTL_SECONDS = int(os.environ.get("JOB_TTL_SECONDS", "86400"))


def _error(status, code, message):
    return Response(
        status, "application/json", {"error": {"code": code, "message": message}, "detail": message}
    )


@app.post("/ai/jobs/extract")
def create_extract():
    raw = app.current_event.body or ""
    if len(raw.encode()) > 350_000:
        return _error(413, "payload_too_large", "The request body is too large.")
    headers = {name.lower(): value for name, value in (app.current_event.headers or {}).items()}
    provider = (headers.get("x-user-provider") or "").strip().lower()
    api_key = (headers.get("x-user-api-key") or "").strip()
    if bool(provider) != bool(api_key):
        return _error(400, "byok_incomplete", "Send both X-User-Provider and X-User-Api-Key, or neither.")
    if provider and provider not in ("openai", "gemini"):
        return _error(400, "unknown_provider", "X-User-Provider must be openai or gemini.")
    if api_key and not (8 <= len(api_key) <= 512 and api_key.isascii() and api_key.isprintable()):
        return _error(400, "invalid_api_key", "X-User-Api-Key is not a valid key.")
    try:
        body = json.loads(raw)
    except ValueError:
        return _error(400, "invalid_json", "The body is not JSON.")
    cv_text = body.get("cv_text") if isinstance(body, dict) else None
    job_description = body.get("job_description") if isinstance(body, dict) else None
    if not isinstance(cv_text, str) or len(cv_text.split()) < 30 or len(cv_text) > 100_000:
        return _error(422, "validation_error", "cv_text: a CV of 30 words to 100,000 characters.")
    if job_description is not None and (
        not isinstance(job_description, str) or len(job_description) > 50_000
    ):
        return _error(422, "validation_error", "job_description: up to 50,000 characters.")

    job_id = str(uuid.uuid4())
    sealed = None
    if api_key:
        sealed = kms.encrypt(
            KeyId=KEY_ARN,
            Plaintext=api_key.encode(),
            EncryptionContext={"purpose": "byok", "job_id": job_id, "provider": provider},
        )["CiphertextBlob"]
    now = time.time()
    created_at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
    table.put_item(
        Item={
            "job_id": job_id,
            "job_type": "extract",
            "status": "queued",
            "created_at": created_at,
            "updated_at": created_at,
            "ttl": int(now) + TTL_SECONDS,
            "payload": {"cv_text": cv_text, "job_description": job_description},
            "provider": provider or "openai",
            "credential": "user" if api_key else "system",
            "attempts": 0,
        },
        ConditionExpression="attribute_not_exists(job_id)",
    )
    attributes = {
        "provider": {"DataType": "String", "StringValue": provider or "openai"},
        "credential": {"DataType": "String", "StringValue": "user" if api_key else "system"},
    }
    if sealed is not None:
        attributes["sealed_key"] = {"DataType": "Binary", "BinaryValue": sealed}
    sqs.send_message(
        QueueUrl=QUEUE_URL,
        MessageBody=json.dumps({"job_id": job_id, "job_type": "extract"}),
        MessageAttributes=attributes,
    )
    logger.info("job queued", extra={"job_id": job_id, "user_key_length": len(api_key)})
    metrics.add_metric(name="JobsCreated", unit="Count", value=1)
    return Response(202, "application/json", {"job_id": job_id, "status": "queued", "created_at": created_at})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
