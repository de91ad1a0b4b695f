"""Every kind of email a customer gets, each written by the service that sends it (the tests of the
company's look read their parts and render them in a browser), and logos made on the spot."""
from __future__ import annotations

import struct
import zlib

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxMessage, TicketStatus
from app.services import branding, customer_mail, notes, portal_links, quote_decisions, \
    status_changes
from app.services.customer_mail import CustomerEmail
from tests import factories

# The mail kinds that go to a customer (a ticket's requester or a contact asking for links).
CUSTOMER_MAIL_KINDS = ("acknowledgement", "public_reply", "quote_request", "quote_decision",
                       "status_resolved", "closed", "portal_link", "portal_links")


def png(width: int = 240, height: int = 60, colours=((250, 200, 30), (20, 120, 60))) -> bytes:
    """A real PNG: stripes of two colours (so a screenshot can find it), width × height."""
    rows = b"".join(b"\x00" + b"".join(bytes(colours[(x // 20) % 2]) for x in range(width))
                    for _ in range(height))

    def chunk(name: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + name + body + \
            struct.pack(">I", zlib.crc32(name + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + \
        chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def jpeg(width: int = 120, height: int = 40) -> bytes:
    """The headers of a baseline JPEG of that size (enough for the check, not for a viewer)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xda\x00\x02" + b"\x00" * 16 + b"\xff\xd9"


def brand_the_company(world, name: str = "Talleres Nórdicos S.L.", primary: str = "#5b2a86",
                      accent: str = "#a3123a", logo: bytes | None = None):
    """The administrator sets the company's look (a striped PNG logo by default)."""
    row = branding.save_branding(world.admin, branding.BrandingInput(
        name=name, primary_color=primary, accent_color=accent, logo=logo or png()))
    db.session.commit()
    return row


def every_customer_mail(world, contact=None) -> dict[str, OutboxMessage]:
    """One mail of each customer kind, to `contact` (the world's Spanish contact by default),
    each caused by the service a person or the poller would call."""
    contact = contact or world.contact
    fields = {"contact_id": contact.id, "client_id": contact.client_id,
              "description": "El servidor de correo no arranca desde la actualización "
                             "de anoche; el registro dice https://intranet.acme.example/"
                             "registros/servidor-principal/arranque?fecha=2026-11-25"}
    made = customer_mail.receive(contact, CustomerEmail(
        subject="Impresora sin tóner", text="La impresora de la planta 2 no imprime.",
        html=None, uploads=[], message_id="<cliente-1@acme.example>"))
    db.session.commit()
    notes.reply_publicly(world.agent, made.ticket, "Hola, ¿puede enviarnos una foto del aviso "
                                                   "de la impresora?")
    db.session.commit()

    quoted = factories.new_ticket(world, **fields)
    quote = factories.quote(world, quoted, price="1234.50", hours="2.5", currency="EUR")
    quote_decisions.decide_by_customer(quote.id, quote.version, True)
    db.session.commit()
    waiting = factories.new_ticket(world, **fields)
    factories.quote(world, waiting, price="1234.50", hours="2.5", currency="EUR")

    free = factories.new_ticket(world, contract_id=world.covering_contract.id,
                                contact_id=contact.id, client_id=contact.client_id)
    status_changes.change_status(world.agent, free, TicketStatus.IN_PROGRESS, "Empezamos")
    status_changes.change_status(world.agent, free, TicketStatus.RESOLVED,
                                 "Cambiamos el cable de red del servidor.")
    db.session.commit()
    status_changes.close_ticket(world.agent, free, "Funciona desde el cambio del cable.")
    portal_links.send_new_link(world.agent, made.ticket)
    portal_links.request_links(contact.email)
    db.session.commit()
    mails = {}
    for row in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.to_address == contact.email).order_by(OutboxMessage.id)):
        if row.kind == "quote_request" and row.ticket_id != waiting.id:
            continue  # the approved quote's request: the waiting one shows the buttons
        mails.setdefault(row.kind, row)
    assert set(mails) == set(CUSTOMER_MAIL_KINDS), sorted(mails)
    return mails
