"""Faults in local mode and the fault run that proves the service survives them.

- aws.py: injected AWS failures (LOCAL_AWS_FAULTS) in the local api and worker processes;
- crash.py: worker processes killed mid-invocation (LOCAL_WORKER_CRASH_RATE);
- events.py: the fault log lines both write, read back by the fault run;
- settings.py, install.py: the fault variables local.run reads, and where they take effect;
- the provider faults live with the fake providers (local/fakes/faults.py, FAKE_LLM_FAULTS);
- the fault run (`make faults`, `python -m local.faults`): run.py drives it, stack.py starts the
  local stack, traffic.py submits the jobs and duplicates their messages, report.py says what held.
"""
