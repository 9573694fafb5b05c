"""Optional SQLite persistence so a local embedded cluster survives a restart.

Write-through: every commit upserts (or deletes) one row and records the resourceVersion counter, in a
transaction committed at the end of the current loop iteration (so a burst of writes is one commit).
Watch history is not persisted: after a restart, resuming from an old RV yields 410 Gone and clients
relist, exactly as after an API server restart with a cold watch cache.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import TYPE_CHECKING

from grove.cluster.store import Key
from grove.kube.client import Obj

if TYPE_CHECKING:
    from grove.cluster.store import ObjectStore
    from grove.kube.resources import ResourceRegistry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    gk TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (gk, namespace, name));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _gk(key: Key) -> str:
    return f"{key[0][0]}|{key[0][1]}"


class SqlitePersistence:
    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._db.commit()
        self._commit_scheduled = False

    def save(self, key: Key, obj: Obj, rv: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)",
                         (_gk(key), key[1], key[2], json.dumps(obj, separators=(",", ":"))))
        self._set_rv(rv)

    def delete(self, key: Key, rv: int) -> None:
        self._db.execute("DELETE FROM objects WHERE gk = ? AND namespace = ? AND name = ?",
                         (_gk(key), key[1], key[2]))
        self._set_rv(rv)

    def _set_rv(self, rv: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('resourceVersion', ?)", (str(rv),))
        self._schedule_commit()

    def _schedule_commit(self) -> None:
        if self._commit_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._db.commit()
            return
        self._commit_scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        self._commit_scheduled = False
        self._db.commit()

    def load_into(self, store: ObjectStore, registry: ResourceRegistry) -> bool:
        """Fill ``store`` (CRDs first, so their kinds are served); False if the file is new."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'resourceVersion'").fetchone()
        if row is None:
            return False
        store.rv = int(row[0])
        rows = self._db.execute("SELECT gk, body FROM objects").fetchall()
        crd_gk = "apiextensions.k8s.io|CustomResourceDefinition"
        for gk_text, body in sorted(rows, key=lambda r: r[0] != crd_gk):
            group, _, kind = gk_text.partition("|")
            obj = json.loads(body)
            store.load((group, kind), obj)
            if gk_text == crd_gk and not obj["metadata"].get("deletionTimestamp"):
                registry.register_crd(obj)
        store.hub.compact()
        return True

    def close(self) -> None:
        self._db.commit()
        self._db.close()
