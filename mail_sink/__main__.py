"""`python -m mail_sink`: see mail_sink/server.py."""

from mail_sink.server import main

raise SystemExit(main())
