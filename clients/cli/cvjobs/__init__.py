"""cvjobs: the CV AI Jobs command-line client (`.venv/bin/cvjobs`, made by `make setup`).

`fields` derives each job type's options from the service's job-type registry, `api` talks HTTP to
the API, `cli` is the command line (argparse) and its exit codes.
"""
