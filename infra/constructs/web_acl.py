"""An optional AWS WAF web ACL on the API stage (cdk.json `waf`; on in prod).

A per-IP rate-based rule caps what one address can send, whatever API key it holds (the shipped
frontend key is public by nature), and AWS's managed common rule set and known-bad-inputs rules
drop the usual exploit probes before they reach a Lambda. Blocked requests get a 429 in the
service's error shape."""

from __future__ import annotations

import json

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import EnvironmentConfig

RATE_RULE_NAME = "RequestsPerIp"
BLOCKED_BODY = {
    "error": {"code": "rate_limited", "message": "Too many requests from this address."},
    "detail": "Slow down and try again in a few minutes.",
}
# Bodies of CVs are large and free text: the common rule set's body-size and cross-site-scripting
# body rules would block ordinary CVs (the api validates bodies itself and never renders them).
_COMMON_RULES_EXCLUDED = ("SizeRestrictions_BODY", "CrossSiteScripting_BODY")


class ApiWebAcl(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, stage: apigw.Stage
    ) -> None:
        super().__init__(scope, construct_id)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("CvAiJobsWebAcl"),
            custom_response_bodies={
                "rateLimited": wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content=json.dumps(BLOCKED_BODY), content_type="APPLICATION_JSON"
                )
            },
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name=RATE_RULE_NAME,
                    priority=0,
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=config.waf.requests_per_five_minutes_per_ip,
                            evaluation_window_sec=300,
                        )
                    ),
                    action=wafv2.CfnWebACL.RuleActionProperty(
                        block=wafv2.CfnWebACL.BlockActionProperty(
                            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                                response_code=429, custom_response_body_key="rateLimited"
                            )
                        )
                    ),
                    visibility_config=_visibility(RATE_RULE_NAME),
                ),
                _managed_rule_group("AWSManagedRulesCommonRuleSet", 1, _COMMON_RULES_EXCLUDED),
                _managed_rule_group("AWSManagedRulesKnownBadInputsRuleSet", 2, ()),
            ],
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )


def _managed_rule_group(name: str, priority: int, excluded: tuple[str, ...]) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                # Counted, not blocked: these CV bodies are the service's data, not an attack.
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in excluded
                ]
                or None,
            )
        ),
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        visibility_config=_visibility(name),
    )


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )
