"""Every route of the app answers hostile values with a 4xx or a page that says what to do, never
a server error: on SQLite and PostgreSQL, signed in as an administrator and anonymous.

Nothing is listed by hand: the routes come from the URL map (every method), and the parameters
of each route are discovered, both from what its view reads from the query string, the form and
the files while it runs, and from the fields and links of every page the app shows. Hypothesis
then sends each route a bounded number of requests whose parameters (and URL parts) are drawn
from a table of hostile values: huge and negative integers, floats, NaN and infinities, dates out
of range, empty and very long strings, NUL and other control characters, unicode, repeated
parameters, hostile file names.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
from collections import defaultdict
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from flask import g, has_request_context, request
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.utils import cached_property

from app.extensions import db
from app.models import InboundMessage, InboundOutcome, Language, Role, TicketStatus, User
from app.services import notes
from app.services.notes import Upload
from app.services.quote_links import link_for
from mail_ingest.ingest import ingest
from tests import factories
from tests import mail_corpus as corpus
from tests.factories import PASSWORD

# Requests per route and method; HEAD and OPTIONS (answered by Flask itself) get fewer.
EXAMPLES = int(os.environ.get("SOPORTE_WALK_EXAMPLES", 4))

# --- the table of hostile values -------------------------------------------------------------

BOUNDARY_INTS = [0, -1, 1, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64,
                 10**20, -(2**31) - 1, -(2**63) - 1, 10**400]
INTEGERS = st.one_of(st.sampled_from(BOUNDARY_INTS), st.integers()).map(str)
NUMBERS = st.one_of(
    st.sampled_from(["1.5", "-1.5", "NaN", "nan", "-NaN", "sNaN", "inf", "-inf", "Infinity",
                     "1e999", "-1e999", "1e-999", "0x1F", "1_000", "١٢٣", "1,5", " 7 ", "+3",
                     "00001", "9" * 5000, "0.000000000000000000001"]),
    st.floats().map(repr), st.decimals().map(str))
DATES = st.one_of(
    st.sampled_from(["9999-12-31", "0001-01-01", "0000-00-00", "2024-02-30", "10000-01-01",
                     "-0001-01-01", "2024-13-01", "2024-1-1", "20240101", "2024-W01-1",
                     "1970-01-01T00:00:00", "2024-06-01 00:00:00+99:00"]),
    st.dates().map(dt.date.isoformat), st.datetimes().map(dt.datetime.isoformat))
TEXTS = st.one_of(
    st.sampled_from(["", " ", "\x00", "a\x00b", "\x00" * 8, "\x01\x02\x1b[31m\x7f\x85", "\r\n\r\n",
                     "\t", "\u202e\u200b\ufeff", "💥" * 50, "' OR 1=1 --", '"><script>x</script>',
                     "%", "_", "*", "\\", "../../etc/passwd", "x" * 100_000, "Ω" * 5000,
                     "on", "1", "true", "null", "[]", "{}"]),
    st.text(max_size=40))
HOSTILE = st.one_of(INTEGERS, NUMBERS, DATES, TEXTS)
# Sent first, to every route, in every parameter at once: the values of the issue.
TABLE = [str(2**31), str(2**63), "9" * 20, "-1", "1.5", "NaN", "abc", "a\x00b", "9999-12-31",
         ["1", str(2**63)]]


def _values_for(seen_values: set[str]):
    """One parameter: a value the app itself offers for it (to get past the first check) or a
    hostile one, sometimes repeated."""
    single = st.one_of(st.sampled_from(sorted(seen_values)), HOSTILE) if seen_values else HOSTILE
    return st.one_of(single, st.lists(single, min_size=2, max_size=3))


FILES = st.lists(st.tuples(st.binary(max_size=64), TEXTS), min_size=1, max_size=3)

# --- discovering what each route reads -------------------------------------------------------

QUERY, FORM, FILE = "query", "form", "file"


class _Reading(ImmutableMultiDict):
    """A request's query, form or files that remembers which names the view asked for."""

    source = QUERY
    seen: dict = defaultdict(set)  # (endpoint, source) -> names

    def _saw(self, key) -> None:
        if isinstance(key, str) and has_request_context() and request.url_rule is not None:
            self.seen[(request.url_rule.endpoint, self.source)].add(key)

    def __getitem__(self, key):
        self._saw(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._saw(key)
        return super().__contains__(key)

    def get(self, key, default=None, type=None):
        self._saw(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._saw(key)
        return super().getlist(key, type)


class _ReadingForm(_Reading):
    source = FORM


class _ReadingFiles(_Reading):
    source = FILE


def _reading_request(base):
    """The app's request class, with query, form and files that remember what was read."""

    class ReadingRequest(base):
        @cached_property
        def args(self):
            return _Reading(super().args)

        def _load_form_data(self):
            super()._load_form_data()
            self.__dict__["form"] = _ReadingForm(self.__dict__["form"])
            self.__dict__["files"] = _ReadingFiles(self.__dict__["files"])

    return ReadingRequest


class _Page(HTMLParser):
    """The forms (their fields, and the values offered for them) and the links of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""),
                               "method": (a.get("method") or "get").upper(),
                               "fields": defaultdict(set), "files": set()})
        elif tag == "a" and "?" in a.get("href", ""):
            self.links.append(a["href"])
        elif tag in ("input", "select", "textarea", "button") and a.get("name") and self.forms:
            form = self.forms[-1]
            if a.get("type") == "file":
                form["files"].add(a["name"])
            else:
                form["fields"][a["name"]].update([a["value"]] if a.get("value") else [])
            self._select = a["name"] if tag == "select" else self._select
        elif tag == "option" and self._select and self.forms:
            self.forms[-1]["fields"][self._select].add(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


class Routes:
    """What the walker knows about the app: each rule, the parameters its view reads and the
    values the app itself offers for them."""

    def __init__(self, app):
        self.app = app
        self.adapter = app.url_map.bind("localhost")
        self.params: dict = defaultdict(set)  # (endpoint, source) -> names
        self.offered: dict = defaultdict(set)  # parameter name -> values seen in pages

    def learn_page(self, html: str) -> None:
        page = _Page()
        page.feed(html)
        for form in page.forms:
            endpoint = self._endpoint(form["action"], form["method"])
            if endpoint is None:
                continue
            source = FORM if form["method"] == "POST" else QUERY
            for name, values in form["fields"].items():
                self.params[(endpoint, source)].add(name)
                self.offered[name].update(v for v in values if len(v) < 200)
            self.params[(endpoint, FILE)].update(form["files"])
        for href in page.links:
            endpoint = self._endpoint(href, "GET")
            if endpoint is not None:
                for name, value in parse_qsl(urlsplit(href).query, keep_blank_values=True):
                    self.params[(endpoint, QUERY)].add(name)
                    self.offered[name].add(value)

    def learn_reads(self) -> None:
        for key, names in _Reading.seen.items():
            self.params[key].update(n for n in names if n != "csrf_token")

    def _endpoint(self, url: str, method: str) -> str | None:
        path = urlsplit(url).path or "/"
        try:
            endpoint, _ = self.adapter.match(path, method=method)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            return None
        return endpoint


# --- the data every route can reach ----------------------------------------------------------

def _build_data(app) -> SimpleNamespace:
    """A world with a free ticket in progress carrying a file, a quoted ticket (with its link),
    a closed one, a message waiting for triage and one in quarantine."""
    world = factories.make_world()
    ticket = factories.ticket_in(world, TicketStatus.IN_PROGRESS, free=True)  # work allowed
    notes.add_internal_note(world.agent, ticket, "con archivo",
                            [Upload("informe.txt", io.BytesIO(b"hola"), "text/plain")])
    db.session.commit()
    quoted = factories.ticket_in(world, TicketStatus.QUOTED)
    closed = factories.ticket_in(world, TicketStatus.CLOSED)
    token = urlsplit(link_for(quoted.current_quote)).path.rsplit("/", 1)[1]
    ingest("walker", 0, "1", corpus.simple(sender="alguien@gmail.example", subject="Ayuda"))
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 0
    ingest("walker", 0, "2", corpus.simple(subject="retenido"))
    app.config["SOPORTE_INGEST_RATE_LIMIT"] = 30
    db.session.commit()
    records = {r.outcome: r.id for r in db.session.scalars(select(InboundMessage))}
    assert set(records) == {InboundOutcome.TRIAGE, InboundOutcome.QUARANTINED}
    return SimpleNamespace(
        world=world, admin_id=world.admin.id, admin_email=world.admin.email,
        url_values={
            "number": [ticket.number, quoted.number, closed.number],
            "attachment_id": [str(ticket.attachments[0].id)],
            "record_id": [str(i) for i in records.values()],
            "token": [token],
            "export_type": ["csv"],
            "filename": ["shortcuts.js"],
        })


# --- requests --------------------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _url_choices(rule, data) -> dict[str, list[str]]:
    """The real values of each part of the rule's URL: an `any(...)` converter's words, the
    actions of a ticket, the records built for the walk."""
    from app.web.tickets.actions import ACTIONS

    choices = {}
    for converter, arguments, name in _ARGUMENT.findall(rule.rule):
        if converter == "any":
            choices[name] = [w.strip() for w in arguments.split(",")]
        elif name == "action" and rule.endpoint == "tickets.act":
            choices[name] = sorted(ACTIONS)
        else:  # a part no record was built for: an id-like value still reaches the view
            choices[name] = data.url_values.get(name, ["1"])
    return choices


def _path(rule, values: dict[str, str]) -> str:
    """The rule's URL with each part replaced by the given (percent-encoded) value."""
    def part(match):
        safe = "/" if match.group(1) == "path" else ""
        return quote(values[match.group(3)], safe=safe)

    return _ARGUMENT.sub(part, rule.rule)


def _send(client, method: str, path: str, query: MultiDict, form: MultiDict, files: dict):
    """One request; the response, after ending what the request left open (as a real server
    would: the tests share one app context across requests)."""
    try:
        if method in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return client.open(path, method=method, query_string=query)
        data = MultiDict(form)
        for name, items in files.items():
            for content, filename in items:
                data.add(name, (io.BytesIO(content), filename))
        return client.open(path, method=method, query_string=query, data=data,
                           content_type="multipart/form-data")
    finally:
        db.session.rollback()
        for key in list(g):
            g.pop(key)


def _short(query: dict, form: dict) -> str:
    """The parameters of a failing request, short enough to read."""
    return repr({"query": query, "form": form})[:400]


def _sign_in(client, data) -> None:
    """Sign in as the administrator, first undoing whatever the walk did to that account (its
    own edit form can deactivate it, demote it, rename it or change its password)."""
    db.session.rollback()
    admin = db.session.get(User, data.admin_id)
    admin.active, admin.role, admin.email = True, Role.ADMIN, data.admin_email
    admin.language = Language.ES
    admin.password_hash = factories._password_hash()
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
    response = _send(client, "POST", "/login", MultiDict(),
                     MultiDict({"email": data.admin_email, "password": PASSWORD}), {})
    assert response.status_code == 302, "the walker could not sign in again"
    data.signed_in_as = _admin_state(data)


def _admin_state(data) -> tuple:
    db.session.rollback()
    admin = db.session.get(User, data.admin_id)
    return (admin.active, admin.role, admin.email, admin.password_hash,
            getattr(admin, "session_version", None))


def _still_signed_in(client, data) -> bool:
    """The session still names a user and the administrator's account is as it was at sign-in
    (checked without a request: the walk sends enough of them)."""
    with client.session_transaction() as session:
        if "_user_id" not in session:
            return False
    return _admin_state(data) == data.signed_in_as


def _discover(app, data) -> Routes:
    """Every route once per method and real URL, as the administrator, with no parameters:
    what each view reads, and what each page offers."""
    routes = Routes(app)
    client = app.test_client()
    _sign_in(client, data)
    for rule in app.url_map.iter_rules():
        choices = _url_choices(rule, data)
        for method in sorted(rule.methods & {"GET", "POST"}):
            for combination in itertools.product(*choices.values()):
                response = _send(client, method, _path(rule, dict(zip(choices, combination))),
                                 MultiDict(), MultiDict(), {})
                if response.status_code == 200 and response.mimetype == "text/html":
                    routes.learn_page(response.get_data(as_text=True))
                if method == "POST" and not _still_signed_in(client, data):
                    _sign_in(client, data)
    routes.learn_reads()
    return routes


@pytest.fixture
def walk(app, backend):
    """The app with a request class that records what views read, the data, the routes."""
    app.request_class = _reading_request(app.request_class)
    _Reading.seen.clear()
    data = _build_data(app)
    routes = _discover(app, data)
    # The discovery found what the issue names (a check that it works, not a list to walk).
    assert {"client", "assignee", "to", "q", "page"} <= routes.params[("tickets.list_view", QUERY)]
    assert {"assignee_id", "price", "hours", "text"} <= routes.params[("tickets.act", FORM)]
    assert {"client_id", "contact_id", "type_id"} <= routes.params[("tickets.new", FORM)]
    assert "files" in routes.params[("tickets.new", FILE)]
    assert "client_id" in routes.params[("inbox.assign_client", FORM)]
    assert "page" in routes.params[("client.index_view", QUERY)]
    assert "id" in routes.params[("client.edit_view", QUERY)]
    return SimpleNamespace(app=app, data=data, routes=routes)


def _walk_route(client, walk, rule, method: str, examples: int, signed_in: bool) -> None:
    """Hypothesis sends this route and method `examples` requests; none may be a 5xx."""
    routes, data = walk.routes, walk.data
    url_parts = {name: st.one_of(st.sampled_from(values), TEXTS, INTEGERS)
                 for name, values in _url_choices(rule, data).items()}
    names = {source: sorted(routes.params[(rule.endpoint, source)])
             for source in (QUERY, FORM, FILE)}

    def parameters(source):
        return st.fixed_dictionaries({}, optional={
            name: _values_for(routes.offered[name]) for name in names[source]})

    def one_request(parts, query, form, files):
        def multi(values):
            return MultiDict([(k, v) for k, vs in values.items()
                              for v in (vs if isinstance(vs, list) else [vs])])

        path = _path(rule, parts)
        try:
            response = _send(client, method, path, multi(query), multi(form), files)
        except Exception as error:  # the test client re-raises what would be a 500
            raise AssertionError(f"{method} {path} {_short(query, form)} raised {error!r}") \
                from error
        assert response.status_code < 500, \
            f"{method} {path} {_short(query, form)} answered {response.status_code}"
        if signed_in and method not in ("GET", "HEAD", "OPTIONS") \
                and not _still_signed_in(client, data):
            _sign_in(client, data)

    test = given(parts=st.fixed_dictionaries(url_parts), query=parameters(QUERY),
                 form=parameters(FORM),
                 files=st.fixed_dictionaries({}, optional={n: FILES for n in names[FILE]})
                 )(one_request)
    # applied last to first: Hypothesis runs explicit examples in decorator (top-down) order
    table = _table_examples(rule, data, names) if method in ("GET", "POST") else []
    for parts, query, form in reversed(list(table)):
        test = example(parts=parts, query=query, form=form, files={})(test)
    settings(max_examples=examples, deadline=None, database=None,
             phases=[Phase.explicit, Phase.generate, Phase.shrink],
             suppress_health_check=list(HealthCheck))(test)()


def _table_examples(rule, data, names):
    """The table, first: every parameter at once, and every part of the URL, with each value
    (on each real URL: each word of an `any(...)`, each action on the open ticket, closing last
    since it makes the ticket read-only)."""
    choices = _url_choices(rule, data)
    real = {name: values if name != "number" else values[:1] for name, values in choices.items()}
    combinations = sorted(itertools.product(*real.values()),
                          key=lambda values: "close" in values)
    for combination in combinations:
        for value in TABLE:
            yield (dict(zip(real, combination)), {n: value for n in names[QUERY]},
                   {n: value for n in names[FORM]})
    for name in choices:
        for value in TABLE:
            if isinstance(value, str):
                yield ({**{n: v[0] for n, v in choices.items()}, name: value}, {}, {})


@pytest.mark.parametrize("who", ["administrator", "anonymous"])
def test_no_route_answers_a_server_error_whatever_the_values(walk, who):
    client = walk.app.test_client()
    if who == "administrator":
        _sign_in(client, walk.data)
    failures = []
    for rule in walk.app.url_map.iter_rules():
        for method in sorted(rule.methods):
            examples = EXAMPLES if method in ("GET", "POST") else 1
            if who == "anonymous":
                examples = max(1, examples // 3)
            try:
                _walk_route(client, walk, rule, method, examples, who == "administrator")
            except Exception as error:  # noqa: BLE001 - gather every route's failure
                first = error.exceptions[0] if isinstance(error, BaseExceptionGroup) else error
                failures.append(f"{rule.endpoint} {method}: {str(first).splitlines()[0][:300]}")
                if who == "administrator" and not _still_signed_in(client, walk.data):
                    _sign_in(client, walk.data)
    assert not failures, "\n".join(failures)


# --- what the person reads: the values the issue names ---------------------------------------
