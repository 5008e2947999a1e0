"""Access tokens, SIGN tickets and NONCE tickets: issue, expire, find (§2, §3)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from mock_server import limits
from mock_server.clock import Clock
from mock_server.explain.diagnosis import LIVE
from mock_server.ids import IdSource
from mock_server.store import Store

SIGN = "SIGN"
NONCE = "NONCE"

# A sign is checked against at most this many of the app's live SIGN tickets, newest first.
LIVE_SIGN_TICKETS = 64
# Dead tokens and tickets are kept this long past their expiry, for the sign explainer to tell a
# sign made with an expired ticket from a wrong one; then they are deleted (fidelity notes).
DEAD_RETENTION = 3600
TICKET_STATUSES = {
    "nonce-ticket": "a NONCE ticket (server calls need a SIGN ticket)",
    "expired-nonce-ticket": "an expired NONCE ticket (server calls need a SIGN ticket)",
    "ticket-of-expired-token": "a SIGN ticket whose access_token has expired",
    "expired-ticket": "an expired SIGN ticket",
    "other-app-ticket": "a SIGN ticket of another app",
}


@dataclass(frozen=True)
class Credential:
    value: str
    app_id: str
    issued_at: float
    expires_at: float
    kind: str = "TOKEN"

    def expire_in(self, now: float) -> int:
        return max(0, round(self.expires_at - now))


def _secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Credentials:
    def __init__(self, store: Store, clock: Clock, ids: IdSource, apps: dict[str, str]) -> None:
        self._store = store
        self._clock = clock
        self._ids = ids
        self._apps = dict(apps)
        self._register_apps()

    def knows(self, app_id: str) -> bool:
        return app_id in self._apps

    def secret_matches(self, app_id: str, secret: str) -> bool:
        return hmac.compare_digest(
            self._apps[app_id].encode("utf-8"), secret.encode("utf-8")
        )

    def _register_apps(self) -> None:
        """Record each app's secret. A changed secret invalidates every token and ticket the app
        had (§2: changing the secret invalidates them), also across a restart."""
        apps = dict(self._apps)

        def register(conn) -> None:
            for app_id, secret in apps.items():
                digest = _secret_digest(secret)
                row = conn.execute(
                    "SELECT secret_digest FROM apps WHERE app_id = ?", (app_id,)
                ).fetchone()
                if row is not None and row["secret_digest"] != digest:
                    conn.execute("DELETE FROM tokens WHERE app_id = ?", (app_id,))
                    conn.execute("DELETE FROM tickets WHERE app_id = ?", (app_id,))
                conn.execute(
                    "INSERT INTO apps (app_id, secret_digest) VALUES (?, ?) "
                    "ON CONFLICT (app_id) DO UPDATE SET secret_digest = excluded.secret_digest",
                    (app_id, digest),
                )

        self._store.on_ready(register)

    def issue_token(self, app_id: str) -> Credential:
        """A new token; the app's previous tokens keep at most 60 s of life (§2)."""
        now = self._clock.now()
        token = Credential(
            self._ids.secret_value(), app_id, now, now + limits.ACCESS_TOKEN_TTL
        )
        with self._store.transaction() as conn:
            conn.execute(
                "UPDATE tokens SET expires_at = ? WHERE app_id = ? AND expires_at > ?",
                (now + limits.REFRESH_OVERLAP, app_id, now + limits.REFRESH_OVERLAP),
            )
            conn.execute(
                "INSERT INTO tokens (value, app_id, issued_at, expires_at) VALUES (?, ?, ?, ?)",
                (token.value, app_id, token.issued_at, token.expires_at),
            )
        return token

    def live_token(self, value: str) -> Credential | None:
        rows = self._store.query(
            "SELECT value, app_id, issued_at, expires_at FROM tokens "
            "WHERE value = ? AND expires_at > ?",
            (value, self._clock.now()),
        )
        return Credential(*rows[0]) if rows else None

    def issue_ticket(self, token: Credential, kind: str, user_id: str | None) -> Credential:
        """A SIGN ticket (3600 s, reusable; the previous SIGN ticket keeps at most 60 s, §3) or a
        NONCE ticket (120 s, single use, bound to user_id). No ticket outlives its token."""
        now = self._clock.now()
        ttl = limits.SIGN_TICKET_TTL if kind == SIGN else limits.NONCE_TICKET_TTL
        ticket = Credential(
            self._ids.secret_value(), token.app_id, now, min(now + ttl, token.expires_at), kind
        )
        with self._store.transaction() as conn:
            if kind == SIGN:
                conn.execute(
                    "UPDATE tickets SET expires_at = ? WHERE app_id = ? AND kind = ? AND expires_at > ?",
                    (now + limits.REFRESH_OVERLAP, token.app_id, SIGN, now + limits.REFRESH_OVERLAP),
                )
            conn.execute(
                "INSERT INTO tickets (value, app_id, kind, token, user_id, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (ticket.value, ticket.app_id, kind, token.value, user_id, now, ticket.expires_at),
            )
        return ticket

    def live_sign_tickets(self, app_id: str) -> list[str]:
        """Values of the app's newest SIGN tickets that are unexpired and whose token is unexpired,
        newest first: at most LIVE_SIGN_TICKETS, so a sign check costs the same whatever the
        history (more live SIGN tickets than that at once takes more than that many refreshes
        within the 60 s overlap; fidelity notes)."""
        now = self._clock.now()
        rows = self._store.query(
            "SELECT t.value FROM tickets t JOIN tokens k ON k.value = t.token "
            "WHERE t.app_id = ? AND t.kind = ? AND t.expires_at > ? AND k.expires_at > ? "
            "ORDER BY t.expires_at DESC LIMIT ?",
            (app_id, SIGN, now, now, LIVE_SIGN_TICKETS),
        )
        return [r["value"] for r in rows]

    def recent_tickets(self, app_id: str, live: int = 2, dead: int = 1, nonce: int = 1
                       ) -> list[tuple[str, str]]:
        """(value, status) of the tickets a client of `app_id` may have signed with, a fixed few of
        each kind, so that none crowds out another and the work is the same whatever the history:
        the app's newest live SIGN tickets, its newest dead SIGN tickets, its newest NONCE tickets
        (live or not), and the newest live SIGN ticket of each other app. The status is LIVE or a
        key of TICKET_STATUSES. Dead tickets are known only while they are kept (DEAD_RETENTION)."""
        now = self._clock.now()
        columns = ("SELECT t.value, t.app_id, t.kind, t.expires_at, k.expires_at AS token_expires "
                   "FROM tickets t LEFT JOIN tokens k ON k.value = t.token ")
        rows = self._store.query(
            columns + "WHERE t.app_id = ? AND t.kind = ? AND t.expires_at > ? "
            "ORDER BY t.expires_at DESC LIMIT ?", (app_id, SIGN, now, live))
        rows += self._store.query(
            columns + "WHERE t.app_id = ? AND t.kind = ? AND t.expires_at <= ? "
            "ORDER BY t.expires_at DESC LIMIT ?", (app_id, SIGN, now, dead))
        rows += self._store.query(
            columns + "WHERE t.app_id = ? AND t.kind = ? ORDER BY t.issued_at DESC LIMIT ?",
            (app_id, NONCE, nonce))
        for other in self._apps:
            if other != app_id:
                rows += self._store.query(
                    columns + "WHERE t.app_id = ? AND t.kind = ? AND t.expires_at > ? "
                    "ORDER BY t.expires_at DESC LIMIT 1", (other, SIGN, now))
        found = []
        for r in rows:
            if r["app_id"] != app_id:
                status = "other-app-ticket"
            elif r["kind"] == NONCE:
                status = "nonce-ticket" if r["expires_at"] > now else "expired-nonce-ticket"
            elif r["token_expires"] is None or r["token_expires"] <= now:
                status = "ticket-of-expired-token"
            elif r["expires_at"] <= now:
                status = "expired-ticket"
            else:
                status = LIVE
            found.append((r["value"], status))
        return found

    def sweep(self, now: float) -> None:
        """Delete tokens and tickets dead for longer than DEAD_RETENTION (in the current write)."""

        def write(conn) -> None:
            cutoff = now - DEAD_RETENTION
            conn.execute("DELETE FROM tickets WHERE expires_at < ?", (cutoff,))
            conn.execute("DELETE FROM tokens WHERE expires_at < ?", (cutoff,))

        self._store.write(write)
