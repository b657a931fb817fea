"""`python -m bot` is the same as the `db-access-bot` command."""

from bot.cli import main

raise SystemExit(main())
