"""`python -m cvjobs`: what `.venv/bin/cvjobs` runs."""

import sys

from cvjobs.cli import main

sys.exit(main())
