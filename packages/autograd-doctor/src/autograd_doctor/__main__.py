"""`python -m autograd_doctor run script.py` / `lint PATHS`: the same as the `autograd-doctor` command."""

import sys

from autograd_doctor._cli import main

sys.exit(main())
