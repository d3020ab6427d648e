"""`python -m stripe_sandbox --host 127.0.0.1 --port 12111`: one uvicorn worker, one state."""

from __future__ import annotations

import argparse

import uvicorn

from stripe_sandbox.app import create_app
from stripe_sandbox.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="stripe_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    args = parser.parse_args()
    app = create_app(Settings.from_env(args.port))
    uvicorn.run(app, host=args.host, port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
