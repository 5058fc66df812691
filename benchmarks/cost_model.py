"""Cost per 1,000 jobs by job type, from what the functions were measured to do here and the
providers' list prices (us-east-1; see PRICES_AS_OF).

Measured per job type (a fresh api and worker interpreter each, warm invocations only, against
moto and the zero-latency fakes): the api's and the worker's duration and CPU time, the bytes they
log (CloudWatch ingestion, EMF metrics included), the AWS calls they make, and the job record's
size before and after the run (DynamoDB units). Assumed (stated in ASSUMPTIONS): how long the
provider takes, how often the frontend polls, Lambda's CPU share at 512 MB, platform log lines.
The LLM tokens themselves are not in it: BYOK users pay their provider; the system path's OpenAI
bill is its own.
"""

from __future__ import annotations

import json
import math
import statistics
from typing import Any

from benchmarks.cold_start import JobMaker
from benchmarks.harness import print_table, run_child
from benchmarks.stack import BYOK, BenchStack, api_event
from local.examples import EXAMPLE_PATHS, example_request

PRICES_AS_OF = "2026-11-26, us-east-1 list prices"
PRICES = {
    "lambda_gb_s_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "api_gateway_rest_request": 3.50 / 1e6,
    "dynamodb_wru": 0.625 / 1e6,
    "dynamodb_rru": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,
    "kms_request": 0.03 / 1e4,
    "logs_ingested_gb": 0.50,
    "xray_trace": 5.00 / 1e6,
}
ASSUMPTIONS: dict[str, Any] = {
    # Seconds the provider takes per job (all its calls), at the configured efforts and budgets.
    # Not measurable here (no network): replace with the ProviderLatency p50 of the dashboard.
    "provider_seconds": {
        "extract": 25,
        "tailor": 45,
        "evaluate": 15,
        "rephrase": 4,
        "recommend": 10,
        "inject-keyword": 4,
        "elaborate": 5,
        "improve-from-feedback": 10,
    },
    "polls_per_job": 6,  # GET /ai/jobs/{id} with backoff until the job is done (docs/api.md)
    "api_memory_gb": 0.5,
    "worker_memory_gb": 0.5,
    # Our CPU time runs this much slower at 512 MB (Lambda gives 1 vCPU at 1,769 MB) than on one
    # core here; waiting on AWS and the provider does not.
    "cpu_slowdown_512mb": 1769 / 512,
    "platform_log_bytes_per_invocation": 350,  # START, END and REPORT lines
    "batch_fill": 10,  # jobs per worker invocation when the queue is busy (workerBatchSize)
}
WARM = 3


def _spec(target: str, events: list[dict[str, Any]], memory_mb: int, timeout_s: int) -> dict[str, Any]:
    return {
        "module": "benchmarks.metered",
        "handler": "lambda_handler",
        "events": events,
        "function_name": f"cv-ai-jobs-{target}",
        "memory_mb": memory_mb,
        "timeout_s": timeout_s,
    }


def _item_bytes(stack: BenchStack, job_id: str) -> int:
    """About the DynamoDB item size: its attributes as JSON (names + values)."""
    item = stack.aws.client("dynamodb").get_item(
        TableName=stack.resources.table_name, Key={"job_id": {"S": job_id}}, ConsistentRead=True
    )["Item"]
    return len(json.dumps(item))


def measure(stack: BenchStack, maker: JobMaker, job_path: str) -> dict[str, Any]:
    body = example_request(job_path)
    api_env = {
        **stack.child_env("api"),
        "BENCH_TARGET": "cv_jobs.api.handler",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    worker_env = {
        **stack.child_env("worker"),
        "BENCH_TARGET": "cv_jobs.worker.handler",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    create = api_event("POST", f"/ai/jobs/{job_path}", body=body, headers=BYOK["openai"])
    creates = run_child(_spec("api", [create] * (1 + WARM), 512, 10), api_env)["responses"][1:]

    stack.drain()
    job_ids, events = [], []
    for _ in range(1 + WARM):
        job_ids.append(maker.create("openai", job_path))
        events.append({"Records": stack.sqs_records(1)})
    created_bytes = _item_bytes(stack, job_ids[-1])
    jobs = run_child(_spec("worker", events, 512, 120), worker_env)["responses"][1:]
    final_bytes = _item_bytes(stack, job_ids[-1])
    poll = api_event("GET", f"/ai/jobs/{job_ids[-1]}")
    polls = run_child(_spec("api", [poll] * (1 + WARM), 512, 10), api_env)["responses"][1:]
    return {
        "create": creates,
        "job": jobs,
        "poll": polls,
        "created_bytes": created_bytes,
        "final_bytes": final_bytes,
    }


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _calls(runs: list[dict[str, Any]], prefix: str) -> float:
    return statistics.median(
        sum(n for name, n in run["calls"].items() if name.startswith(prefix)) for run in runs
    )


def cost_per_1000(job_path: str, m: dict[str, Any]) -> dict[str, float]:
    a, p = ASSUMPTIONS, PRICES
    polls = a["polls_per_job"]
    slow = a["cpu_slowdown_512mb"]

    def lambda_seconds(runs: list[dict[str, Any]]) -> float:
        wall, cpu = _median(runs, "wall_ms"), _median(runs, "cpu_ms")
        return (max(wall - cpu, 0.0) + cpu * slow) / 1000

    api_gb_s = a["api_memory_gb"] * (lambda_seconds(m["create"]) + polls * lambda_seconds(m["poll"]))
    overhead_s = lambda_seconds(m["job"])
    provider_s = a["provider_seconds"][job_path]
    fill = a["batch_fill"]
    worker_alone_gb_s = a["worker_memory_gb"] * (provider_s + overhead_s)
    # A full batch runs its jobs concurrently: one provider wait, each job's own CPU work.
    worker_batched_gb_s = a["worker_memory_gb"] * (provider_s + fill * overhead_s) / fill

    wru_created = math.ceil(m["created_bytes"] / 1024)
    wru_final = math.ceil(max(m["created_bytes"], m["final_bytes"]) / 1024)
    writes_api = _calls(m["create"], "dynamodb.PutItem") + _calls(m["create"], "dynamodb.UpdateItem")
    writes_api += _calls(m["create"], "dynamodb.TransactWriteItems")
    writes_worker = _calls(m["job"], "dynamodb.UpdateItem") + _calls(m["job"], "dynamodb.TransactWriteItems")
    reads = _calls(m["job"], "dynamodb.GetItem") * math.ceil(m["created_bytes"] / 4096)
    reads += polls * _calls(m["poll"], "dynamodb.GetItem") * math.ceil(max(m["final_bytes"], 1) / 4096)
    dynamodb = (writes_api * wru_created + writes_worker * wru_final) * p["dynamodb_wru"] + reads * p[
        "dynamodb_rru"
    ]

    # The event source receives and deletes a batch with one request each.
    sqs_requests = _calls(m["create"], "sqs.") + 2 / fill + _calls(m["job"], "sqs.")
    kms_requests = _calls(m["create"], "kms.") + _calls(m["job"], "kms.")
    invocations_api = 1 + polls
    log_bytes = (
        _median(m["create"], "log_bytes")
        + polls * _median(m["poll"], "log_bytes")
        + _median(m["job"], "log_bytes")
        + (invocations_api + 1 / fill) * a["platform_log_bytes_per_invocation"]
    )
    per_job = {
        "api_gateway": invocations_api * p["api_gateway_rest_request"],
        "lambda_api": invocations_api * p["lambda_request"] + api_gb_s * p["lambda_gb_s_arm64"],
        "lambda_worker_alone": p["lambda_request"] + worker_alone_gb_s * p["lambda_gb_s_arm64"],
        "lambda_worker_batched": p["lambda_request"] / fill + worker_batched_gb_s * p["lambda_gb_s_arm64"],
        "dynamodb": dynamodb,
        "sqs": sqs_requests * p["sqs_request"],
        "kms": kms_requests * p["kms_request"],
        "logs": log_bytes / 1e9 * p["logs_ingested_gb"],
        "xray": (invocations_api + 1 / fill) * p["xray_trace"],
        "log_bytes": log_bytes,
        "overhead_ms": overhead_s * 1000,
        "created_kb": m["created_bytes"] / 1024,
        "final_kb": m["final_bytes"] / 1024,
    }
    shared = ("api_gateway", "lambda_api", "dynamodb", "sqs", "kms", "logs", "xray")
    per_job["total_alone"] = sum(per_job[k] for k in shared) + per_job["lambda_worker_alone"]
    per_job["total_batched"] = sum(per_job[k] for k in shared) + per_job["lambda_worker_batched"]
    money = {k for k in per_job if k not in ("log_bytes", "overhead_ms", "created_kb", "final_kb")}
    return {k: (v * 1000 if k in money else v) for k, v in per_job.items()}


def run(stack: BenchStack) -> dict[str, dict[str, float]]:
    maker = JobMaker(stack)
    return {path: cost_per_1000(path, measure(stack, maker, path)) for path in EXAMPLE_PATHS}


def report(costs: dict[str, dict[str, float]]) -> None:
    def usd(value: float) -> str:
        return f"{value:.4f}"

    rows = [
        [
            path,
            f"{c['created_kb']:.1f} / {c['final_kb']:.1f}",
            usd(c["api_gateway"]),
            usd(c["lambda_api"]),
            f"{usd(c['lambda_worker_alone'])} / {usd(c['lambda_worker_batched'])}",
            usd(c["dynamodb"]),
            usd(c["sqs"]),
            usd(c["kms"]),
            f"{usd(c['logs'])} ({c['log_bytes'] / 1024:.1f} KB)",
            usd(c["xray"]),
            f"**{usd(c['total_alone'])}** / **{usd(c['total_batched'])}**",
        ]
        for path, c in costs.items()
    ]
    print_table(
        f"USD per 1,000 BYOK jobs ({PRICES_AS_OF}); worker alone / in full batches of "
        f"{ASSUMPTIONS['batch_fill']}",
        [
            "job type",
            "record KB (queued / done)",
            "API Gateway",
            "Lambda api",
            "Lambda worker",
            "DynamoDB",
            "SQS",
            "KMS",
            "Logs (per job)",
            "X-Ray",
            "total",
        ],
        rows,
    )
