"""Faults in local mode and the fault run that proves the service survives them.

- aws.py: injected AWS failures (LOCAL_AWS_FAULTS) in the local api and worker processes;
- crash.py: worker processes killed mid-invocation (LOCAL_WORKER_CRASH_RATE);
- events.py: the fault log lines both write, read back by the fault run;
- the provider faults live with the fake providers (local/fakes/faults.py, FAKE_LLM_FAULTS);
- run.py, report.py, __main__.py: the fault run (`make faults`, `python -m local.faults`).
"""
