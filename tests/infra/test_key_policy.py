"""The BYOK key's own policy: the api role may only Encrypt, the worker role may only Decrypt, both
only with a BYOK encryption context, and the account root administers the key without using it."""

from __future__ import annotations

from typing import Any

from infra.constructs.byok_key import byok_context_conditions
from tests.infra.synth import Synth, as_list

USE_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"}


def _key_policy(synth: Synth) -> list[dict[str, Any]]:
    key = synth.resource(synth.stack.byok_key.key)
    statements: list[dict[str, Any]] = key["Properties"]["KeyPolicy"]["Statement"]
    return statements


def _principal(statement: dict[str, Any]) -> str:
    aws = statement["Principal"]["AWS"]
    if isinstance(aws, dict) and "Fn::GetAtt" in aws:
        return str(aws["Fn::GetAtt"][0])
    return "root"  # {"Fn::Join": [..., ":root"]}


def test_the_key_policy_lets_only_the_api_encrypt_and_only_the_worker_decrypt(dev: Synth) -> None:
    # Given the synthesized key policy
    statements = _key_policy(dev)
    api_role = dev.logical_id(dev.stack.api.lambda_function.role)
    worker_role = dev.logical_id(dev.stack.worker.lambda_function.role)

    # When the statements that allow using the key are collected by principal
    users: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        used = set(as_list(statement["Action"])) & USE_ACTIONS
        if used:
            users.setdefault(_principal(statement), set()).update(used)

    # Then exactly the two roles use it, each for one direction only
    assert users == {api_role: {"kms:Encrypt"}, worker_role: {"kms:Decrypt"}}


def test_key_use_in_the_key_policy_is_conditioned_on_the_byok_context(dev: Synth) -> None:
    # Given the statements naming a function role
    role_statements = [s for s in _key_policy(dev) if _principal(s) != "root"]

    # Then each carries the BYOK context conditions (purpose, provider, exactly the four keys)
    assert len(role_statements) == 2
    for statement in role_statements:
        assert statement["Condition"] == byok_context_conditions()


def test_the_account_root_administers_the_key_but_cannot_decrypt_or_grant(dev: Synth) -> None:
    # Given the root's statement
    [root] = [s for s in _key_policy(dev) if _principal(s) == "root"]
    actions = set(as_list(root["Action"]))

    # Then it can manage the key's life and policy, and not use it, grant it or wildcard anything
    assert {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:EnableKeyRotation"} <= actions
    assert not actions & USE_ACTIONS
    assert not any("*" in action or action.startswith("kms:GenerateDataKey") for action in actions)
    assert "kms:CallerAccount" in root["Condition"]["StringEquals"]


def test_the_key_policy_names_no_wildcard_principal(dev: Synth) -> None:
    for statement in _key_policy(dev):
        assert statement["Principal"] != "*"
        assert statement["Principal"].get("AWS") != "*"
