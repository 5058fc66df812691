#!/bin/sh
# cvjobs: the CV AI Jobs command-line client (clients/cli). Written into the virtualenv by `make setup`
# from clients/cli/cvjobs.sh, with this repository's paths and Python filled in.
PYTHONPATH="@REPO@/clients/cli:@REPO@/functions${PYTHONPATH:+:$PYTHONPATH}" exec "@PYTHON@" -m cvjobs "$@"
