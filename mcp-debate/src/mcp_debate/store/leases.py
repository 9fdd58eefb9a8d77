"""Leases: a named claim by one process, valid until it expires unless its holder renews it.

Times come from the database's clock (never the replicas' own), so replicas with skewed clocks still
agree on who holds what. Every function runs inside a write transaction, which both stores serialize.
"""

from __future__ import annotations

from mcp_debate.store.connection import Connection, Dialect, rows

# Seconds since the epoch, with fractions, as each database tells them.
_NOW: dict[Dialect, str] = {
    "sqlite": "((julianday('now') - 2440587.5) * 86400.0)",
    "postgres": "extract(epoch from clock_timestamp())::double precision",
}


async def claim(conn: Connection, name: str, holder: str, seconds: float) -> bool:
    """Take the lease when it is free, expired or already ours; True when ``holder`` now holds it."""
    now = _NOW[conn.dialect]
    found = await rows(
        conn,
        f"INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, {now} + ?) "  # noqa: S608
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
        f"WHERE leases.expires_at < {now} OR leases.holder = excluded.holder "
        "RETURNING holder",
        (name, holder, seconds),
    )
    return bool(found)


async def renew(conn: Connection, name: str, holder: str, seconds: float) -> bool:
    """Push the expiry back; False when the lease is no longer ours (it expired and was taken)."""
    found = await rows(
        conn,
        f"UPDATE leases SET expires_at = {_NOW[conn.dialect]} + ? "  # noqa: S608
        "WHERE name = ? AND holder = ? RETURNING name",
        (seconds, name, holder),
    )
    return bool(found)


async def release(conn: Connection, name: str, holder: str) -> None:
    await conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


async def unowned_runs(conn: Connection) -> list[str]:
    """Debates with a run under way that no live process drives (no run lease, or an expired one)."""
    found = await rows(
        conn,
        "SELECT d.id FROM debates d LEFT JOIN leases l ON l.name = 'run:' || d.id "  # noqa: S608
        f"WHERE d.state = 'running' AND d.run_target IS NOT NULL "
        f"AND (l.name IS NULL OR l.expires_at < {_NOW[conn.dialect]}) ORDER BY d.updated_at",
    )
    return [r[0] for r in found]


async def clear(conn: Connection) -> None:
    """Drop every lease (an embedded database starting again: the leases were its previous run's)."""
    await conn.execute("DELETE FROM leases")
