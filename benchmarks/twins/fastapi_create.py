"""What the old service ran: `POST /ai/jobs/extract` as a FastAPI app behind Mangum.

A Pydantic request model and FastAPI's header parameters do the checks; the SDK clients are made
at import. Same work per request as the real api: KMS Encrypt of the user key with the job's
encryption context, a conditional DynamoDB put, an SQS message with the sealed key, 202.
"""

import json
import logging
import os
import time
import uuid

import boto3
from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from mangum import Mangum
from pydantic import BaseModel, Field, field_validator

logger = logging.getLogger("cv-ai-jobs")
logger.setLevel(logging.INFO)
table = boto3.resource("dynamodb").Table(os.environ["JOBS_TABLE_NAME"])
sqs = boto3.client("sqs")
kms = boto3.client("kms")
app = FastAPI(title="CV AI jobs")

QUEUE_URL = os.environ["JOBS_QUEUE_URL"]
KEY_ARN = os.environ["BYOK_KEY_ARN"]
TTL_SECONDS = int(os.environ.get("JOB_TTL_SECONDS", "86400"))


class ExtractRequest(BaseModel):
    cv_text: str = Field(max_length=100_000)
    job_description: str | None = Field(default=None, max_length=50_000)

    @field_validator("cv_text")
    @classmethod
    def _enough_words(cls, value: str) -> str:
        if len(value.split()) < 30:
            raise ValueError("a CV of at least 30 words")
        return value


class Accepted(BaseModel):
    job_id: str
    status: str
    created_at: str


@app.middleware("http")
async def limit_body(request: Request, call_next):
    if int(request.headers.get("content-length") or 0) > 350_000:
        return JSONResponse({"error": {"code": "payload_too_large"}}, status_code=413)
    return await call_next(request)


@app.post("/ai/jobs/extract", status_code=202, response_model=Accepted)
def create_extract(
    body: ExtractRequest,
    x_user_provider: str | None = Header(default=None),
    x_user_api_key: str | None = Header(default=None),
):
    provider = (x_user_provider or "").strip().lower()
    api_key = (x_user_api_key or "").strip()
    if bool(provider) != bool(api_key):
        raise HTTPException(400, "Send both X-User-Provider and X-User-Api-Key, or neither.")
    if provider and provider not in ("openai", "gemini"):
        raise HTTPException(400, "X-User-Provider must be openai or gemini.")
    if api_key and not (8 <= len(api_key) <= 512 and api_key.isascii() and api_key.isprintable()):
        raise HTTPException(400, "X-User-Api-Key is not a valid key.")

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
            "payload": body.model_dump(),
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
    logger.info(json.dumps({"message": "job queued", "job_id": job_id, "user_key_length": len(api_key)}))
    return Accepted(job_id=job_id, status="queued", created_at=created_at)


lambda_handler = Mangum(app, lifespan="off")
