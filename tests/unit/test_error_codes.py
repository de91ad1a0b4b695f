"""Every domain error carries a stable code, and the web maps each code to one HTTP status."""
import pytest
from flask_babel import lazy_gettext as _l

# every module defining an error
from app.services import errors, presence, search_budget, sign_in  # noqa: F401
from app.services.errors import CODES, DomainError
from app.web.errors import HTTP_STATUS


def _all_error_classes(root=DomainError):
    found = [root]
    for sub in root.__subclasses__():
        found.extend(_all_error_classes(sub))
    return found


def test_each_kind_of_domain_error_has_its_own_code():
    classes = _all_error_classes()
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes)), codes
    assert set(codes) == set(CODES)
    assert {"invalid_transition", "quote_not_approved", "ticket_closed", "not_permitted",
            "validation_failed", "not_found"} <= set(codes)


def test_every_code_has_an_http_status_and_no_other_does():
    assert set(HTTP_STATUS) == set(CODES)
    assert all(400 <= status < 500 for status in HTTP_STATUS.values())


@pytest.fixture
def app(fresh_app):
    """An app of each test's own: these tests add routes to it."""
    return fresh_app


def test_an_error_as_plain_values_names_its_code_message_and_field(app):
    error = errors.ValidationFailed(_l("Select the client: it is required."), field="client_id")
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert error.as_dict() == {"code": "validation_failed",
                                   "message": "Seleccione el cliente: es obligatorio.",
                                   "field": "client_id"}


@pytest.mark.parametrize("error_class", _all_error_classes(), ids=lambda cls: cls.code)
def test_an_unhandled_refusal_is_the_error_page_with_its_status(app, error_class):
    """A view that lets a DomainError through answers with the mapped status and the message,
    in the user's language: never a 500."""
    message = _l("Only a supervisor can reopen a closed ticket.")
    error = error_class("used", message) if error_class is errors.LinkProblem \
        else error_class(message)

    @app.get("/_raise_for_test")
    def _raise():
        raise error

    response = app.test_client().get("/_raise_for_test", headers={"Accept-Language": "es"})
    assert response.status_code == HTTP_STATUS[error_class.code]
    assert "Solo un supervisor puede reabrir un ticket finalizado." in response.get_data(as_text=True)


def test_a_save_that_lost_the_optimistic_lock_race_says_so_not_500(app):
    """StaleDataError (Ticket.lock_version) at commit, from any view: a 409 that says to
    reload, in the user's language."""
    from sqlalchemy.orm.exc import StaleDataError

    @app.post("/_stale_for_test")
    def _stale():
        raise StaleDataError("UPDATE statement on table 'ticket' expected to update 1 row(s)")

    response = app.test_client().post("/_stale_for_test", headers={"Accept-Language": "es"})
    assert response.status_code == 409
    assert "Otra persona cambió este registro" in response.get_data(as_text=True)
