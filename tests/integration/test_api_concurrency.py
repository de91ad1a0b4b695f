"""The API under concurrent clients: 8 integrations, each with its own token, create 200 tickets
at once over HTTP (a real server on loopback, a thread per request) and every one is created,
with its own number and no number skipped (app.services.numbering), on PostgreSQL and on SQLite
(whose writers queue behind the busy timeout: never a 500 or a "database is locked")."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from app.extensions import db
from app.models import Ticket
from tests.api_calls import API, bearer
from tests.http_server import serving

CLIENTS = 8
TICKETS = 200


def _post(url: str, headers: dict, body: dict) -> tuple[int, dict]:
    """POST a JSON body; the status and the JSON answer, whatever the status."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={**headers, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _create_tickets(url: str, headers: dict, client_id: int, count: int, start) -> list:
    """One integration: `count` tickets one after another, once every integration is ready."""
    start.wait(timeout=60)
    return [_post(f"{url}{API}/tickets", headers,
                  {"client_id": client_id, "description": f"Alta simultánea {i}"})
            for i in range(count)]


def test_eight_integrations_creating_at_once_get_distinct_numbers_without_gaps(app, world):
    users = (world.admin, world.supervisor, world.agent, world.agent2)
    tokens = [bearer(user) for user in users * 2]  # 8 tokens, two per user
    client_id = world.client.id
    start = threading.Barrier(CLIENTS)
    with serving(app) as url, ThreadPoolExecutor(CLIENTS) as pool:
        batches = [pool.submit(_create_tickets, url, token, client_id, TICKETS // CLIENTS,
                               start) for token in tokens]
        answers = [answer for batch in batches for answer in batch.result()]

    refused = [answer for answer in answers if answer[0] != 201]
    assert refused == []
    numbers = [body["number"] for _, body in answers]
    assert len(set(numbers)) == TICKETS
    assert set(numbers) == {f"TCK-{n:06d}" for n in range(1, TICKETS + 1)}
    stored = db.session.scalars(select(Ticket.number)).all()
    assert sorted(stored) == sorted(numbers)
