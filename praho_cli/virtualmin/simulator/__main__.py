"""`python -m praho_cli.virtualmin.simulator PROGRAM …`: the simulator's `virtualmin` command.

The wrappers run this module rather than `…simulator.command`, which the package imports eagerly
(running an already-imported module with -m makes runpy warn on stderr, and stderr is part of what the
SSH transport reports)."""

import sys

from praho_cli.virtualmin.simulator.command import main

sys.exit(main())
