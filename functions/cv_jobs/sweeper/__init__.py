"""The stale-job sweeper: ends every job that no delivery can end any more."""
