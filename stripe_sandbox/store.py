"""The sandbox's state: insertion-ordered objects per kind, optionally mirrored to SQLite."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

KINDS = (
    "session", "line_items", "payment_intent", "charge", "refund", "event", "idempotency",
    "delivery",
)  # fmt: skip


class Store:
    """All objects behind one lock; with a db path every write also goes to SQLite."""

    def __init__(self, db_path: str | None = None) -> None:
        self.lock = threading.RLock()
        self._objects: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
        self._db: sqlite3.Connection | None = None
        if db_path:
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS sandbox_objects ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
                " id TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (kind, id))"
            )
            rows = self._db.execute("SELECT kind, id, body FROM sandbox_objects ORDER BY seq")
            for kind, obj_id, body in rows:
                self._objects.setdefault(kind, {})[obj_id] = json.loads(body)

    def put(self, kind: str, obj_id: str, obj: dict[str, Any]) -> None:
        with self.lock:
            self._objects[kind][obj_id] = obj
            if self._db is not None:
                self._db.execute(
                    "INSERT INTO sandbox_objects (kind, id, body) VALUES (?, ?, ?)"
                    " ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                    (kind, obj_id, json.dumps(obj)),
                )

    def get(self, kind: str, obj_id: str) -> dict[str, Any] | None:
        with self.lock:
            return self._objects[kind].get(obj_id)

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Oldest first."""
        with self.lock:
            return list(self._objects[kind].values())

    def reset(self) -> None:
        with self.lock:
            for objects in self._objects.values():
                objects.clear()
            if self._db is not None:
                self._db.execute("DELETE FROM sandbox_objects")
