"""The read limit of the user service (issue 19): bare Flask reading the same user row by its id
on the raw driver (`sqlite3` or `psycopg`, DATABASE_URL as the user service gets it) and
returning it as JSON, no auth; served by the same gunicorn command line as the user service.

Like `getUser`: a deactivated user is 404; the same keys, RFC 3339 timestamps, one `json.dumps`
(the run's sanity check compares the two answers for the same row).
"""

from __future__ import annotations

import json
import os
import uuid

from flask import Flask, Response

from bench.baselines.rawdb import RawDatabase, rfc3339

JSON = "application/json"
ONE_USER = (
    "SELECT id, email, full_name, role, status, created_at, updated_at, deactivated_at"
    " FROM ums_users WHERE id = ?"
)
# Columns the user service added later (email_verified_at: migration 0004, mfa_enabled_at:
# 0007), read and shown when the table has them, so that the limit answers what the service
# answers for the schema it runs on.
LATER = ("email_verified_at", "mfa_enabled_at")

app = Flask(__name__)
db = RawDatabase(os.environ["DATABASE_URL"], timeout=10.0)  # the user service's default wait
later = [c for c in LATER if c in db.columns("ums_users")]
one_user = db.statement(ONE_USER.replace(" FROM", "".join(f", {c}" for c in later) + " FROM"))


@app.get("/healthz")
def healthz() -> Response:
    return Response('{"status":"ok"}', mimetype=JSON)


@app.get("/users/<uuid:user_id>")
def get_user(user_id: uuid.UUID) -> Response:
    # SQLAlchemy's Uuid column: native uuid on PostgreSQL, 32 hex digits on SQLite
    rows = db.rows(one_user, (user_id if db.postgres else user_id.hex,))
    if not rows or rows[0][4] == "deactivated":
        return Response('{"status":404,"detail":"no such user"}', 404, mimetype=JSON)
    u = rows[0]
    body = {
        "id": str(user_id),
        "email": u[1],
        "full_name": u[2],
        "role": u[3],
        "status": u[4],
        "created_at": rfc3339(u[5]),
        "updated_at": rfc3339(u[6]),
        "deactivated_at": rfc3339(u[7]),
    }
    extra = dict(zip(later, u[8:], strict=True))
    if "email_verified_at" in extra:
        body["email_verified"] = extra["email_verified_at"] is not None
        body["email_verified_at"] = rfc3339(extra["email_verified_at"])
    if "mfa_enabled_at" in extra:
        body["mfa_enabled"] = extra["mfa_enabled_at"] is not None
    return Response(json.dumps(body), mimetype=JSON)
