"""Twins of the api's create endpoint, written the way a team would otherwise write them, so the
cold-start benchmark can compare the real handler with them in the same run. Never deployed."""
