"""``python -m secretsync``."""

from secretsync.cli.main import console_main

console_main()
