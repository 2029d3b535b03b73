import datetime as dt

import pytest
from sqlmodel import select

from orgonaut import clock, kv
from orgonaut.errors import Conflict, RateLimited, ValidationFailed
from orgonaut.settings import get_settings
from orgonaut.tenancy import login_guard, service
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


@pytest.fixture
def guard():
    """No login-guard state from earlier tests (it lives in Redis, which tests share per run)."""
    def clear():
        for key in kv.locks().scan_iter("orgonaut:login:*"):
            kv.locks().delete(key)
    clear()
    yield
    clear()


def _fail(session, email: str, client: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(ValidationFailed):
            service.authenticate(session=session, email=email, password="wrong-password-x", client=client)


def test_repeated_failures_slow_that_address_down_without_locking_the_user_out(session, guard):
    tenant = make_tenant(session)
    make_user(session, tenant, email="victim@t.test")
    session.commit()
    attacker, owner = "203.0.113.9", "198.51.100.7"
    _fail(session, "victim@t.test", attacker, times=3)  # the free failures
    # From then on the attacker's address waits 1, 2, 4 … s after each failure before it may try
    # again, even with the right password; the check comes before any hashing.
    with pytest.raises(RateLimited, match=r"Try again in 1 second\."):
        service.authenticate(session=session, email="victim@t.test", password=PASSWORD, client=attacker)
    clock.advance(dt.timedelta(seconds=1.5))
    _fail(session, "victim@t.test", attacker)
    with pytest.raises(RateLimited, match=r"Try again in 2 seconds"):
        service.authenticate(session=session, email="victim@t.test", password=PASSWORD, client=attacker)
    # The owner, from another address, is never held up by the attacker's failures.
    assert service.authenticate(session=session, email="victim@t.test", password=PASSWORD,
                                client=owner).email == "victim@t.test"
    # The delay doubles up to the cap, and the count lapses a window after the last failure.
    for _ in range(12):
        clock.advance(dt.timedelta(seconds=61))
        _fail(session, "victim@t.test", attacker)
    with pytest.raises(RateLimited, match=r"Try again in 60 seconds"):
        service.authenticate(session=session, email="victim@t.test", password=PASSWORD, client=attacker)
    clock.advance(dt.timedelta(minutes=16))
    assert service.authenticate(session=session, email="victim@t.test", password=PASSWORD,
                                client=attacker).email == "victim@t.test"


def test_a_success_clears_the_count_of_that_address(session, guard):
    tenant = make_tenant(session)
    make_user(session, tenant, email="ada@t.test")
    session.commit()
    _fail(session, "ada@t.test", "10.0.0.1", times=3)
    clock.advance(dt.timedelta(seconds=2))
    service.authenticate(session=session, email="ada@t.test", password=PASSWORD, client="10.0.0.1")
    _fail(session, "ada@t.test", "10.0.0.1", times=3)  # three free failures again, none refused


def test_a_flood_from_one_address_is_refused_before_hashing_and_others_still_get_in(session, guard, monkeypatch):
    tenant = make_tenant(session)
    make_user(session, tenant, email="ada@t.test")
    session.commit()
    monkeypatch.setattr(get_settings(), "login_attempts_per_ip_per_minute", 3)
    for n in range(3):  # fresh e-mails each time: the per-e-mail delay never applies
        _fail(session, f"guess{n}@t.test", "192.0.2.1")
    with pytest.raises(RateLimited, match="Too many sign-in attempts from your network"):
        service.authenticate(session=session, email="ada@t.test", password=PASSWORD, client="192.0.2.1")
    assert service.authenticate(session=session, email="ada@t.test", password=PASSWORD,
                                client="192.0.2.2").email == "ada@t.test"
    monkeypatch.setattr(get_settings(), "login_attempts_per_minute", 1)
    service.authenticate(session=session, email="ada@t.test", password=PASSWORD, client="192.0.2.3")
    with pytest.raises(RateLimited, match="Too many sign-in attempts right now"):
        service.authenticate(session=session, email="ada@t.test", password=PASSWORD, client="192.0.2.4")


def test_oversized_input_is_refused_and_nothing_is_counted(session, guard):
    tenant = make_tenant(session)
    make_user(session, tenant, email="ada@t.test")
    session.commit()
    for email, password in (("a" * 300 + "@t.test" + "x" * 20, "pw"), ("ada@t.test", "p" * 1025)):
        with pytest.raises(ValidationFailed, match=service.LOGIN_FAILED_MESSAGE):
            service.authenticate(session=session, email=email, password=password, client="10.0.0.9")
    assert list(kv.locks().scan_iter("orgonaut:login:failures:*")) == []


def test_password_hashing_is_bounded_per_process(session, guard, monkeypatch):
    tenant = make_tenant(session)
    make_user(session, tenant, email="ada@t.test")
    session.commit()
    slots = login_guard._slots()
    taken = 0
    while slots.acquire(blocking=False):  # every slot busy hashing for someone else
        taken += 1
    try:
        assert taken == get_settings().login_hash_concurrency
        with pytest.raises(RateLimited, match="busy"), login_guard.hash_slot(wait=0.05):
            pass
    finally:
        for _ in range(taken):
            slots.release()
    assert service.authenticate(session=session, email="ada@t.test", password=PASSWORD,
                                client="10.0.0.3").email == "ada@t.test"


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


def test_ended_login_sessions_are_purged_by_the_daily_job(session, monkeypatch):
    monkeypatch.setattr(get_settings(), "session_idle_hours", 24 * 90)  # only the absolute end counts here
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    session.commit()
    live, expired, revoked = (service.start_session(session=session, user=user) for _ in range(3))
    session.commit()
    service.end_session(session=session, token=revoked)
    session.commit()
    clock.advance(dt.timedelta(days=2))
    assert service.purge_login_sessions(session=session) == 1  # revoked two days ago; the others live on
    session.commit()
    # Both expired, not quite a day ago: kept for a day after their end.
    clock.advance(dt.timedelta(days=get_settings().session_days - 1) - dt.timedelta(hours=1))
    assert service.purge_login_sessions(session=session) == 0
    clock.advance(dt.timedelta(days=2))
    assert service.purge_login_sessions(session=session) == 2
    session.commit()
    assert session.exec(select(LoginSession)).all() == []
    assert expired and live  # both tokens existed; neither row is left


def test_the_purge_runs_daily_from_beat():
    import workers.system_tasks  # noqa: F401 - registers the task
    from workers.celery_app import app

    entry = app.conf.beat_schedule["tenancy-purge-login-sessions"]
    assert entry["task"] in app.tasks and entry["schedule"].hour == {4}


def test_a_session_ends_after_a_day_without_use_and_after_its_days_in_any_case(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    session.commit()
    idle = dt.timedelta(hours=get_settings().session_idle_hours)
    token = service.start_session(session=session, user=user)
    session.commit()
    used = 0
    while used < get_settings().session_days - 1:  # used every day: kept open...
        clock.advance(idle - dt.timedelta(hours=1))
        assert service.user_for_token(session=session, token=token) is not None, used
        session.commit()
        used += 1
    clock.advance(dt.timedelta(days=2))  # ... but not past its days from the login
    assert service.user_for_token(session=session, token=token) is None

    unused = service.start_session(session=session, user=user)
    session.commit()
    clock.advance(idle + dt.timedelta(minutes=1))
    assert service.user_for_token(session=session, token=unused) is None  # a day without use


def test_a_new_login_ends_the_tabs_previous_session_and_log_out_everywhere_ends_all(session):
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    session.commit()
    first = service.start_session(session=session, user=user)
    second = service.start_session(session=session, user=user, replacing=first)
    other_device = service.start_session(session=session, user=user)
    session.commit()
    assert service.user_for_token(session=session, token=first) is None
    assert service.user_for_token(session=session, token=second) is not None
    assert service.end_all_sessions(session=session, user=user) == 2
    session.commit()
    assert [service.user_for_token(session=session, token=t) for t in (second, other_device)] == [None, None]
