"""The daily model check: is each model this environment calls still served, and for how long?
`lookup` asks the providers (and the known shutdown schedule), `handler` is the scheduled Lambda,
`local/models.py` the same check as a command."""
