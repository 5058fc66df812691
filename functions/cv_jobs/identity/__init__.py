"""End-user identity: the Lambda authorizer that verifies OIDC JWTs (only where cdk.json turns
identity on)."""
