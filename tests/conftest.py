"""Set before any test module is collected: Powertools reads its service name and metrics namespace
when the logger and metrics objects are created, at import time. Without this, whichever test module
first imports cv_jobs (an e2e test importing the key sealer, say) would create them unnamed for the
whole run, and every handler call would fail to flush its metrics ("Must contain a metric
namespace"). The values are the unit tests' (tests/unit/conftest.py sets the same)."""

from __future__ import annotations

import os

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "cv-ai-jobs-test")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CvAiJobsTest")
