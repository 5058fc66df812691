"""`make bench`: the service's performance figures, measured side by side (see docs/performance.md)."""
