"""Local mode gives each function the variables the stack gives it (infra/constructs/*.py), so a
variable added to the stack but not to local mode (or the reverse) shows up here, not in a demo."""

from __future__ import annotations

import ast

import pytest

from infra import function_settings
from infra.config import environment_config_from_file
from local.aws_emulator import LocalResources
from local.function_environments import function_environments
from tests.e2e.support import REPO_ROOT

pytestmark = pytest.mark.e2e

# What only local mode needs: where AWS is and how to reach it, and Powertools' local settings.
LOCAL_ONLY = {
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_EC2_METADATA_DISABLED",
    "POWERTOOLS_TRACE_DISABLED",
    "POWERTOOLS_DEV",
    "OPENAI_BASE_URL",
    "GEMINI_BASE_URL",
}
# Set for every function by infra/constructs/python_function.py.
SHARED_BY_THE_STACK = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def _stack_variables(construct: str) -> set[str]:
    """The keys of the `environment={...}` dict in a construct module: its string keys, and those of
    every `**<function>(config)` it spreads from infra/function_settings.py (for the dev settings)."""
    tree = ast.parse((REPO_ROOT / "infra" / "constructs" / construct).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "environment" and isinstance(node.value, ast.Dict):
            names = {str(key.value) for key in node.value.keys if isinstance(key, ast.Constant)}
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                # A spread of infra/function_settings.py's (others, e.g. the api's budgets, the test
                # accounts for itself)
                called = value.func if key is None and isinstance(value, ast.Call) else None
                if isinstance(called, ast.Name) and hasattr(function_settings, called.id):
                    variables = getattr(function_settings, called.id)
                    names |= set(variables(environment_config_from_file("dev")))
            return names
    raise AssertionError(f"no environment={{...}} in infra/constructs/{construct}")


def _constant(construct: str, name: str) -> str:
    tree = ast.parse((REPO_ROOT / "infra" / "constructs" / construct).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise AssertionError(f"no {name} in infra/constructs/{construct}")


def test_each_function_gets_the_variables_the_stack_gives_it() -> None:
    # Given local mode's environments for the dev settings, with fake base URLs set
    resources = LocalResources("t", "q", "arn:q", "dlq", "arn:dlq", "arn:key", "arn:secret", "budget")
    config = environment_config_from_file("dev")
    environments = function_environments(
        config,
        resources,
        aws_endpoint="http://127.0.0.1:4566",
        openai_base_url="http://127.0.0.1:1/v1",
        gemini_base_url="http://127.0.0.1:2",
    )

    # Then, local-only variables aside, they are the stack's, function by function
    # (the system path's budgets: the same config.system_budget.environment() in both, plus its table,
    # spread into the api's environment; tests/infra/test_functions.py checks the stack's values)
    assert config.system_budget is not None
    budget = {"SYSTEM_BUDGET_TABLE_NAME", *config.system_budget.environment()}
    assert set(environments.api) - LOCAL_ONLY == _stack_variables("api.py") | SHARED_BY_THE_STACK | budget
    assert environments.api["SYSTEM_BUDGET_TABLE_NAME"] == "budget"
    assert set(environments.worker) - LOCAL_ONLY == _stack_variables("worker.py") | SHARED_BY_THE_STACK
    assert set(environments.key_check) - LOCAL_ONLY == _stack_variables("key_check.py") | SHARED_BY_THE_STACK
    assert set(environments.sweeper) - LOCAL_ONLY == _stack_variables("sweeper.py") | SHARED_BY_THE_STACK
    assert environments.sweeper["POWERTOOLS_SERVICE_NAME"] == _constant("sweeper.py", "SERVICE_NAME")
    assert environments.api["POWERTOOLS_SERVICE_NAME"] == _constant("api.py", "SERVICE_NAME")
    assert environments.worker["POWERTOOLS_SERVICE_NAME"] == _constant("worker.py", "SERVICE_NAME")
    assert environments.key_check["POWERTOOLS_SERVICE_NAME"] == _constant("key_check.py", "SERVICE_NAME")
    assert environments.key_check["KEY_CHECK_TIMEOUT_SECONDS"] == _constant("key_check.py", "CHECK_SECONDS")
    # The key check asks the providers the worker calls, at the same addresses
    for name in ("OPENAI_MODEL", "GEMINI_MODEL", "JOB_SETTINGS", "OPENAI_BASE_URL", "GEMINI_BASE_URL"):
        assert environments.key_check[name] == environments.worker[name], name
    namespace = _constant("python_function.py", "METRICS_NAMESPACE")
    assert environments.api["POWERTOOLS_METRICS_NAMESPACE"] == namespace
    assert environments.worker["POWERTOOLS_METRICS_NAMESPACE"] == namespace
