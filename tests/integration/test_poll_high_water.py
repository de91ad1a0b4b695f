"""A poll costs what is new (issue 15): it asks the real Dovecot and the database only about the
UIDs above its mailbox's high-water mark, and the mark keeps the guarantees of exactly-once (a
message not recorded holds it, a crash before it moves repeats nothing, a new UIDVALIDITY starts
afresh, the first poll after the upgrade sets it from the records)."""
from __future__ import annotations

import contextlib
import imaplib

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import InboundHighWater, InboundMessage, InboundOutcome
from mail_ingest import high_water
from mail_ingest import ingest as ingest_module
from mail_ingest.poller import poll_once
from mail_ingest.shutdown import STOP
from mail_ingest.sources import INGESTED_KEYWORD, ImapSource, mailbox_name
from tests import mail_corpus as corpus
from tests.integration.test_ingest_resilience import _assert_each_once

O = InboundOutcome


def _marks(url: str) -> dict[int, int]:
    """The mailbox's marks: UIDVALIDITY → UID."""
    db.session.expire_all()
    rows = db.session.execute(select(InboundHighWater.uidvalidity, InboundHighWater.uid).where(
        InboundHighWater.mailbox == mailbox_name(url)))
    return dict(rows.all())


def _mark(url: str) -> int:
    marks = _marks(url)
    assert len(marks) <= 1, marks
    return next(iter(marks.values()), 0)


def _flagged(dovecot, user) -> list[str]:
    """UIDs carrying our flag, ascending."""
    return sorted((uid for uid, flags in dovecot.flags(user).items()
                   if INGESTED_KEYWORD in flags), key=int)


class _Seen:
    """What a poll asked: its IMAP commands in this process and its SQL on inbound_message."""

    def __init__(self) -> None:
        self.imap: list[tuple] = []
        self.inbound_sql: list[tuple[str, object]] = []

    def uid_commands(self, name: str) -> list[tuple]:
        return [args[2:] for args in self.imap if args[:1] == ("UID",) and args[1] == name]

    def searches(self) -> list[str]:
        return [args[-1].decode() if isinstance(args[-1], bytes) else args[-1]
                for args in self.uid_commands("SEARCH")]


@contextlib.contextmanager
def _watching(monkeypatch):
    seen = _Seen()
    command = imaplib.IMAP4._command

    def record(client, name, *args):
        seen.imap.append((name, *args))
        return command(client, name, *args)

    def on_sql(conn, cursor, statement, parameters, context, executemany):
        if "inbound_message" in statement:
            seen.inbound_sql.append((statement, parameters))

    monkeypatch.setattr(imaplib.IMAP4, "_command", record)
    event.listen(db.engine, "before_cursor_execute", on_sql)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", on_sql)
        monkeypatch.undo()


def _strings(parameters) -> set[str]:
    values = parameters.values() if isinstance(parameters, dict) else parameters
    return {value for value in values if isinstance(value, str)}


def test_a_poll_asks_only_about_the_uids_above_the_mark(world, dovecot, imap_user, monkeypatch):
    url = dovecot.url(imap_user)
    dovecot.append(imap_user, *[corpus.simple(subject=f"historia {i}") for i in range(12)])
    assert poll_once(url).outcomes == {"TICKET": 12}
    assert _mark(url) == 12
    dovecot.append(imap_user, corpus.simple(subject="nuevo 1"), corpus.simple(subject="nuevo 2"))

    with _watching(monkeypatch) as seen:
        assert poll_once(url).outcomes == {"TICKET": 2}
    assert seen.searches() == ["UID 13:*"]
    [(fetch_range, _items)] = seen.uid_commands("FETCH")  # the sizes: only the new ones
    assert fetch_range == "13,14"
    [(lookup, parameters)] = [(sql, p) for sql, p in seen.inbound_sql
                              if "inbound_message.raw_sha256" in sql and " IN " in sql]
    history = {str(uid) for uid in range(1, 13)}
    assert {"13", "14"} <= _strings(parameters) and not history & _strings(parameters)
    assert _mark(url) == 14

    with _watching(monkeypatch) as seen:  # nothing new: one search, not one record read
        assert poll_once(url).outcomes == {}
    assert seen.searches() == ["UID 15:*"]  # Dovecot answers 14 (the `n:*` rule): left out
    assert seen.uid_commands("FETCH") == [] and seen.uid_commands("STORE") == []
    assert seen.inbound_sql == []
    assert _mark(url) == 14
    _assert_each_once(14)


def test_a_message_that_could_not_be_recorded_holds_the_mark(world, dovecot, imap_user,
                                                           monkeypatch):
    url = dovecot.url(imap_user)
    dovecot.append(imap_user, *[corpus.simple(subject=f"hueco {i}") for i in range(4)])
    real = ingest_module.ingest_together

    def not_the_second(mailbox, uidvalidity, messages, stop):
        for message in messages:
            if message[0] == "2":
                yield "2", None
            else:
                yield from real(mailbox, uidvalidity, [message], stop)

    monkeypatch.setattr(ingest_module, "ingest_together", not_the_second)
    assert poll_once(url).outcomes == {"TICKET": 3, "UNRECORDED": 1}
    assert _mark(url) == 1 and _flagged(dovecot, imap_user) == ["1", "3", "4"]
    monkeypatch.undo()

    assert poll_once(url).outcomes == {"TICKET": 1}  # the second, at last; 3 and 4 not again
    assert _mark(url) == 4 and _flagged(dovecot, imap_user) == ["1", "2", "3", "4"]
    _assert_each_once(4)


@pytest.mark.parametrize("crash", ["before the flags", "before the mark"])
def test_a_crash_after_the_commit_loses_and_repeats_nothing(world, dovecot, imap_user,
                                                             monkeypatch, crash):
    url = dovecot.url(imap_user)
    dovecot.append(imap_user, *[corpus.simple(subject=f"caída {i}") for i in range(3)])

    def crash_now(*args, **kwargs):
        raise RuntimeError("the machine went down")

    if crash == "before the flags":
        monkeypatch.setattr(ImapSource, "mark_done", crash_now)
    else:
        monkeypatch.setattr(high_water, "advance", crash_now)
    with pytest.raises(RuntimeError):
        poll_once(url)
    monkeypatch.undo()
    db.session.rollback()
    assert _mark(url) == 0  # the mark never runs ahead of the flags

    assert poll_once(url).outcomes == {}  # recorded before the crash: only flagged and passed
    assert _mark(url) == 3 and _flagged(dovecot, imap_user) == ["1", "2", "3"]
    _assert_each_once(3)


def test_a_new_uidvalidity_starts_a_new_mark(world, dovecot, imap_user):
    with dovecot.box(imap_user) as box:
        box.folder.create("Soporte")
    url = dovecot.url(imap_user, folder="Soporte")
    first = [corpus.simple(subject=f"antes {i}") for i in range(3)]
    dovecot.append(imap_user, *first, folder="Soporte")
    poll_once(url)
    [old] = _marks(url)
    with dovecot.box(imap_user) as box:  # the folder made again: new UIDVALIDITY, UIDs from 1
        box.folder.delete("Soporte")
        box.folder.create("Soporte")
    dovecot.append(imap_user, *first, corpus.simple(subject="nuevo"), folder="Soporte")
    assert poll_once(url).outcomes == {"IGNORED": 3, "TICKET": 1}  # the same three: duplicates
    marks = _marks(url)
    assert marks[old] == 3 and len(marks) == 2 and set(marks.values()) == {3, 4}


@pytest.mark.parametrize("lookup", ["by uid", "one pass"])
def test_the_first_poll_after_the_upgrade_sets_the_mark_from_the_records(world, dovecot,
                                                                        imap_user, monkeypatch,
                                                                        lookup):
    """An installation upgraded with records and no marks: the first poll lists the folder once,
    takes only the messages without a record (one between recorded ones included), flags the
    recorded one left unflagged, and sets the mark. (A long listing reads the mailbox's records
    in one pass instead of by UID: both ways.)"""
    if lookup == "one pass":
        monkeypatch.setattr(high_water, "WHOLE_PASS", 2)
    url = dovecot.url(imap_user)
    dovecot.append(imap_user, *[corpus.simple(subject=f"antiguo {i}") for i in range(5)])
    with dovecot.box(imap_user) as box:
        uidvalidity = int(box.folder.status("INBOX", ["UIDVALIDITY"])["UIDVALIDITY"])
        box.flag(["1", "2"], ["\\Seen", INGESTED_KEYWORD], True)
    db.session.add_all([
        InboundMessage(mailbox=mailbox_name(url), uidvalidity=uidvalidity, uid=uid,
                       raw_sha256="0" * 64, outcome=O.IGNORED, reason="recorded before")
        for uid in ("1", "2", "4")])  # 3: never recorded; 4: recorded, its flag not yet set
    db.session.commit()

    assert poll_once(url).outcomes == {"TICKET": 2}
    db.session.expire_all()
    records = {r.uid: r for r in db.session.scalars(select(InboundMessage))}
    assert sorted(records, key=int) == ["1", "2", "3", "4", "5"]
    assert [records[uid].outcome for uid in ("1", "2", "4")] == [O.IGNORED] * 3  # not read again
    assert records["3"].outcome is records["5"].outcome is O.TICKET
    assert _mark(url) == 5 and _flagged(dovecot, imap_user) == ["1", "2", "3", "4", "5"]


def test_a_message_left_on_the_server_is_passed_and_stays_unmarked(world, dovecot, imap_user,
                                                                  app):
    app.config["SOPORTE_INGEST_MAX_BYTES"] = 2000
    url = dovecot.url(imap_user)
    dovecot.append(imap_user, corpus.with_attachment(data=b"x" * 10_000), corpus.simple())
    assert poll_once(url).outcomes == {"QUARANTINED": 1, "TICKET": 1}
    assert _mark(url) == 2
    assert poll_once(url).outcomes == {}
    assert _flagged(dovecot, imap_user) == ["2"]  # not downloaded, so never marked as ours
    assert "\\Seen" not in dovecot.flags(imap_user)["1"]


def test_a_stop_asked_for_mid_batch_finishes_the_message_in_hand(world, dovecot, imap_user,
                                                                monkeypatch):
    url = dovecot.url(imap_user)
    dovecot.append(imap_user, *[corpus.simple(subject=f"parada {i}") for i in range(5)])
    real = ingest_module._process

    def stop_during_the_second(record, *args, **kwargs):
        if record.uid == "2":
            STOP.ask()  # as the SIGTERM handler does, while the second is in hand
        return real(record, *args, **kwargs)

    monkeypatch.setattr(ingest_module, "_process", stop_during_the_second)
    try:
        assert poll_once(url).outcomes == {"TICKET": 2}
    finally:
        STOP.reset()
    monkeypatch.undo()
    assert _mark(url) == 2 and _flagged(dovecot, imap_user) == ["1", "2"]
    assert poll_once(url).outcomes == {"TICKET": 3}
    _assert_each_once(5)


def test_a_folder_emptied_on_the_server_keeps_its_mark(world, dovecot, imap_user):
    url = dovecot.url(imap_user)
    dovecot.append(imap_user, *[corpus.simple(subject=f"borrado {i}") for i in range(3)])
    poll_once(url)
    with dovecot.box(imap_user) as box:
        box.delete(box.uids("ALL"))  # flagged \Deleted and expunged: the folder is empty
    assert poll_once(url).outcomes == {}
    assert _mark(url) == 3
    dovecot.append(imap_user, corpus.simple(subject="después"))  # UID 4: above the mark
    assert poll_once(url).outcomes == {"TICKET": 1}
    assert _mark(url) == 4
