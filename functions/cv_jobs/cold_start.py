"""No garbage collection during a Lambda cold start: paused when a handler module (the api's, the
worker's) is imported (it imports this module first), resumed once its first invocation has been
served.

A cold start allocates some 120,000 long-lived objects (modules, pydantic models and validators,
botocore's service models, the clients) and almost no garbage: about 700 unreachable objects by the
end of the api's first request. Python's collector still walks the growing heap over and over
while they are made, each full pass more expensive than the last: 30-40 ms of CPU of a 340 ms api
cold start on this machine (docs/performance.md). Paused, none of that is paid; after the first
invocation what was built is moved out of the collector's sight for good (`gc.freeze`: the
objects every invocation reuses are never scanned again) and collection resumes for what the
invocations allocate. The few cycles left over from the cold start stay, once per process.

Only in a Lambda execution environment (the runtime sets AWS_LAMBDA_FUNCTION_NAME): a test run or
a local process that imports a handler and may never call it keeps the collector as it is.
"""

from __future__ import annotations

import gc
import os
import threading

_lock = threading.Lock()
_paused = "AWS_LAMBDA_FUNCTION_NAME" in os.environ and gc.isenabled()
if _paused:
    gc.disable()


def first_invocation_served() -> None:
    """Freeze what the cold start built and let the collector run again (once; later calls do nothing)."""
    global _paused
    if not _paused:
        return
    with _lock:
        if _paused:
            _paused = False
            gc.freeze()
            gc.enable()


def paused() -> bool:
    """Whether collection is still paused for this process's cold start."""
    return _paused
