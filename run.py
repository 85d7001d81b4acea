"""`python run.py <command>` in a checkout: the same as the installed `jianyi` command (cli/main.py says
what each command does). The checkout's folder goes first on the import path, so this copy of the code runs."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli.main import main  # noqa: E402
from cli.serve import build_app  # noqa: E402,F401 (tests and bench build the app from here)

if __name__ == "__main__":
    sys.exit(main())
