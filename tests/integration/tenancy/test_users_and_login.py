import datetime as dt

import pytest
from sqlmodel import select

from orgonaut import clock
from orgonaut.errors import Conflict, RateLimited, ValidationFailed
from orgonaut.tenancy import service
from orgonaut.tenancy.models import LoginSession, Role, User
from tests.factories import PASSWORD, make_tenant, make_user


def test_user_email_is_normalised_and_password_hashed_with_argon2(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant, email="  Ada.Lovelace@Example.COM ")
    session.commit()
    stored = session.exec(select(User).where(User.id == user.id)).one()
    assert stored.email == "ada.lovelace@example.com"
    assert stored.password_hash.startswith("$argon2")
    assert PASSWORD not in stored.password_hash
    assert "password_hash" not in repr(stored)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"password": "too-short"}, ValidationFailed, "at least 12 characters"),
        ({"role": "boss"}, ValidationFailed, "Valid roles: owner, admin, manager, member, viewer"),
        ({"email": "not-an-email"}, ValidationFailed, "not a valid e-mail"),
    ],
)
def test_bad_user_input_is_refused_and_changes_nothing(session, kwargs, error, message):
    tenant = make_tenant(session)
    session.commit()
    args = {"email": "new@t.test", "password": PASSWORD, "role": Role.member, **kwargs}
    with pytest.raises(error, match=message):
        service.create_user(session=session, tenant=tenant, **args)
    session.rollback()
    assert session.exec(select(User)).all() == []


def test_duplicate_email_in_a_tenant_is_refused(session):
    tenant = make_tenant(session)
    make_user(session, tenant, email="dup@t.test")
    with pytest.raises(Conflict, match="already exists"):
        make_user(session, tenant, email="DUP@t.test")


def test_login_gives_one_generic_message_for_wrong_email_and_wrong_password(session):
    tenant = make_tenant(session)
    make_user(session, tenant, email="real@t.test")
    session.commit()
    messages = []
    for email, password in [("real@t.test", "wrong-password-x"), ("ghost@t.test", PASSWORD)]:
        with pytest.raises(ValidationFailed) as caught:
            service.authenticate(session=session, email=email, password=password)
        messages.append(str(caught.value))
    assert messages == [service.LOGIN_FAILED_MESSAGE] * 2


def test_repeated_failures_are_slowed_down_then_the_window_passes(session):
    tenant = make_tenant(session)
    make_user(session, tenant, email="victim@t.test")
    session.commit()
    for _ in range(10):
        with pytest.raises(ValidationFailed):
            service.authenticate(session=session, email="victim@t.test", password="wrong-password-x")
    # Even the right password is refused while the limit holds.
    with pytest.raises(RateLimited, match="Too many failed attempts"):
        service.authenticate(session=session, email="victim@t.test", password=PASSWORD)
    clock.advance(dt.timedelta(minutes=16))
    assert service.authenticate(session=session, email="victim@t.test", password=PASSWORD).email == "victim@t.test"


def test_session_token_is_stored_hashed_expires_and_can_be_revoked(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    token = service.start_session(session=session, user=user)
    session.commit()
    stored = session.exec(select(LoginSession)).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert service.user_for_token(session=session, token=token).id == user.id
    assert service.user_for_token(session=session, token=token + "x") is None
    service.end_session(session=session, token=token)
    session.commit()
    assert service.user_for_token(session=session, token=token) is None

    second = service.start_session(session=session, user=user)
    session.commit()
    clock.advance(dt.timedelta(days=15))
    assert service.user_for_token(session=session, token=second) is None
