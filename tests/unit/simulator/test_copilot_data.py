"""The GitHub simulator's users: a login renamed as GitHub renames one (from a day on the rows carry the new
`user_login`, the numeric `user_id` stays), deterministic from the seed and the day the users are made."""

from __future__ import annotations

import dataclasses
import datetime as dt

from orgonaut.simulator.copilot_data import (
    RENAMED_DAYS_AGO,
    login_of,
    make_users,
    renamed,
    seat_json,
    user_id_of,
    user_row,
)
from orgonaut.simulator.data import DEFAULT_ROSTER

NOW = dt.date(2026, 11, 20)
RENAMED_ON = NOW - dt.timedelta(days=RENAMED_DAYS_AGO)


def _rows(user, days):
    return {day: row for day in days if (row := user_row(user, day, seed=0)) is not None}


def test_one_roster_user_without_saml_is_renamed_a_fixed_number_of_days_ago():
    users = make_users(DEFAULT_ROSTER, seed=0, unknown_logins=("octo-contractor",), now=NOW)
    [user] = [u for u in users if u.former_login is not None]
    email = DEFAULT_ROSTER[users.index(user)]
    assert user.saml_email is None and user.activity > 0
    assert user.former_login == login_of(email) != user.login
    assert user.id == user_id_of(login_of(email))  # the id GitHub gave the first login stays
    assert user.renamed_on == RENAMED_ON
    assert make_users(DEFAULT_ROSTER, seed=0, unknown_logins=("octo-contractor",), now=NOW) == users
    assert all(u.former_login is None for u in make_users(DEFAULT_ROSTER, seed=0, now=NOW, renamed_days_ago=None))


def test_rows_carry_the_login_of_their_day_and_the_same_id_and_activity():
    user = next(u for u in make_users(DEFAULT_ROSTER, seed=0, now=NOW) if u.former_login)
    never_renamed = dataclasses.replace(user, login=user.former_login, former_login=None, renamed_on=None)
    days = [RENAMED_ON + dt.timedelta(days=n) for n in range(-10, 10)]
    rows, unchanged = _rows(user, days), _rows(never_renamed, days)
    assert rows.keys() == unchanged.keys()
    assert any(day < RENAMED_ON for day in rows) and any(day >= RENAMED_ON for day in rows)
    for day, row in rows.items():
        assert row["user_id"] == user.id
        assert row["user_login"] == (user.former_login if day < RENAMED_ON else user.login)
        assert {**row, "user_login": user.former_login} == unchanged[day]  # the rename changes no activity


def test_the_seat_names_the_login_of_the_day_it_is_listed():
    user = renamed(make_users(["mona.lisa@demo.test"], seed=0, now=NOW, renamed_days_ago=None)[0], RENAMED_ON)
    assert (user.former_login, user.login) == ("mona-lisa", "mlisa")
    before = seat_json(user, RENAMED_ON - dt.timedelta(days=1))["assignee"]
    after = seat_json(user, RENAMED_ON)["assignee"]
    assert (before["login"], after["login"]) == ("mona-lisa", "mlisa")
    assert before["id"] == after["id"] == user.id


def test_a_new_login_someone_else_holds_is_not_taken():
    user = make_users(["mona.lisa@demo.test"], seed=0, now=NOW, renamed_days_ago=None)[0]
    assert renamed(user, RENAMED_ON, taken={"mlisa"}).login == "mona-lisa-gh"
