"""``python -m grove.initc``: the startup waiter without the ``grove`` CLI (argparse, stdlib only)."""

from grove.initc.main import main

raise SystemExit(main())
