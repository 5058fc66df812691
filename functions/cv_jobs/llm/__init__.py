"""Which models a job calls and with which parameters: the model-family table (capabilities), the
per-job settings read from configuration (job_settings) and the providers' announced shutdowns
(schedule). No I/O and no provider SDK here: the CDK app, the worker and the model check all read it.
"""
