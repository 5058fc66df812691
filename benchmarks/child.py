"""One cold start in a fresh interpreter: import a handler module, serve its first event, then a
few warm ones. Run by harness.run_child with a JSON spec on stdin; prints one JSON line.

Nothing of the project is imported before the clock starts: the stopwatch covers every import,
client and model the cold start pays for (only json, os, sys and time, which every handler
imports anyway, and resource, are loaded first). The spec:
  module, handler        what Lambda's `Handler` setting names
  events                 the first is served cold, the others warm
  function_name, memory_mb, timeout_s   the context's attributes
  watch_modules          report whether each of these was imported by the end
"""

import json
import os
import resource
import sys
import time


class Context:
    """The attributes of Lambda's context object that Powertools and the handlers read."""

    def __init__(self, function_name: str, memory_mb: int, timeout_s: float) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = os.urandom(16).hex()
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return int(max(0.0, self._deadline - time.monotonic()) * 1000)


def summary(response: object) -> object:
    if isinstance(response, dict) and "bench_metrics" in response:
        return response["bench_metrics"]
    if isinstance(response, dict) and "statusCode" in response:
        return response["statusCode"]
    if isinstance(response, dict) and "batchItemFailures" in response:
        return {"failed": len(response["batchItemFailures"])}
    return type(response).__name__


def main() -> None:
    spec = json.loads(sys.stdin.read())
    events = spec["events"]

    started = time.perf_counter()
    cpu_started = time.process_time()
    module = __import__(spec["module"], fromlist=[spec["handler"]])
    handler = getattr(module, spec["handler"])
    imported = time.perf_counter()
    responses = [handler(events[0], Context(spec["function_name"], spec["memory_mb"], spec["timeout_s"]))]
    served = time.perf_counter()
    cpu_served = time.process_time()

    warm_ms = []
    for event in events[1:]:
        before = time.perf_counter()
        context = Context(spec["function_name"], spec["memory_mb"], spec["timeout_s"])
        responses.append(handler(event, context))
        warm_ms.append((time.perf_counter() - before) * 1000)

    report = {
        "import_ms": (imported - started) * 1000,
        "first_ms": (served - imported) * 1000,
        "cold_ms": (served - started) * 1000,
        # CPU time of this process only (moto and the fakes run elsewhere): steadier than the wall
        # clock when other work shares the machine.
        "cold_cpu_ms": (cpu_served - cpu_started) * 1000,
        "warm_ms": warm_ms,
        "responses": [summary(response) for response in responses],
        # Peak resident memory by the end (Linux reports KiB): what the function's memory must hold.
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loaded": {name: name in sys.modules for name in spec.get("watch_modules", [])},
    }
    sys.stdout.flush()
    print(json.dumps({"bench": report}), flush=True)


if __name__ == "__main__":
    main()
