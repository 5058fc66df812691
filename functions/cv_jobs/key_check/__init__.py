"""The key check (`POST /ai/keys/test`): does a user's provider key work in this environment, asked
of the provider's model-info endpoints (no tokens spent). `check` decides, `handler` is its Lambda."""
