"""`python -m web [--host H] [--port P] [--workers N]`: the web frontend under uvicorn.

Several workers (or replicas) may share one sessions database: a session's token refresh is
serialised through that database (`web.sessions.SessionStore.refresh_lock`), not in memory."""

from __future__ import annotations

import argparse
import os

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m web")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
