"""labelmill.users and the ``labelmill users`` / ``labelmill serve`` commands."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from labelmill import Project
from labelmill.cli.server_commands import serve, users
from labelmill.exceptions import AuthError, ConfigError, NotFoundError
from labelmill.server.auth import LoginLimiter, TokenSigner
from labelmill.server.errors import status_of
from labelmill.users import (
    add_user,
    get_user,
    list_users,
    remove_user,
    set_active,
    set_role,
    verify_user,
)
from labelmill.views import agreement


@pytest.fixture
def store(project: Project) -> Any:
    return project.store


def test_add_verify_and_list(store: Any) -> None:
    info = add_user(store, "ada", "password1", role="admin")
    assert (info.name, info.role, info.active, info.can_login) == ("ada", "admin", True, True)
    assert verify_user(store, "ada", "password1").name == "ada"
    assert [u.name for u in list_users(store)] == ["ada"]


def test_wrong_password_unknown_and_disabled_users(store: Any) -> None:
    add_user(store, "ada", "password1")
    with pytest.raises(AuthError, match="Wrong user name or password"):
        verify_user(store, "ada", "password2")
    with pytest.raises(AuthError, match="Wrong user name or password"):
        verify_user(store, "bob", "password1")
    set_active(store, "ada", False)
    with pytest.raises(AuthError, match="Wrong user name or password"):
        verify_user(store, "ada", "password1")
    set_active(store, "ada", True)
    assert verify_user(store, "ada", "password1").active


def test_remove_keeps_the_row_but_blocks_login(store: Any) -> None:
    add_user(store, "ada", "password1")
    remove_user(store, "ada")
    assert not get_user(store, "ada").can_login
    with pytest.raises(AuthError, match="Wrong user name"):
        verify_user(store, "ada", "password1")
    add_user(store, "ada", "password3", role="reviewer")  # re-adding restores the login
    assert verify_user(store, "ada", "password3").role == "reviewer"


def test_library_answer_users_cannot_log_in(project: Project) -> None:
    project.import_items(__import__("pandas").DataFrame({"text": ["a b c"]}))
    item = project.next_items(1, user="oracle")[0]
    project.add_answer(item.item_id, "spam", user="oracle", queue=item.mode)
    assert get_user(project.store, "oracle").can_login is False
    with pytest.raises(AuthError):
        verify_user(project.store, "oracle", "")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "a b", "password": "password1"}, "user name must be"),
        ({"name": "", "password": "password1"}, "user name must be"),
        ({"name": "ok", "password": "short"}, "at least 8 characters"),
        ({"name": "ok", "password": "password1", "role": "boss"}, "role must be one of"),
    ],
)
def test_bad_input_is_a_config_error(store: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        add_user(store, **kwargs)


def test_missing_users_are_not_found(store: Any) -> None:
    for call in (
        lambda: get_user(store, "x"),
        lambda: remove_user(store, "x"),
        lambda: set_active(store, "x", False),
        lambda: set_role(store, "x", "admin"),
    ):
        with pytest.raises(NotFoundError, match="No user named 'x'"):
            call()


def test_set_role(store: Any) -> None:
    add_user(store, "ada", "password1")
    assert set_role(store, "ada", "reviewer").role == "reviewer"
    with pytest.raises(ConfigError, match="role must be one of"):
        set_role(store, "ada", "root")


def test_token_signer() -> None:
    signer = TokenSigner("k" * 32, lifetime=60)
    token = signer.sign("ada", kind="access", sid="s1")
    assert signer.verify(token, kind="access") == ("ada", "s1")
    with pytest.raises(AuthError, match="Expected a session token"):
        signer.verify(token, kind="session")
    with pytest.raises(AuthError, match="not valid"):
        TokenSigner("other" * 8, lifetime=60).verify(token, kind="access")
    with pytest.raises(AuthError, match="expired"):
        signer.verify(signer.sign("ada", kind="access", sid="s1", now=0), kind="access")
    assert signer.csrf_for(token) != signer.csrf_for(token + "x")


def test_login_limiter_window() -> None:
    from fastapi import HTTPException

    limiter = LoginLimiter(2, window=0.2)
    limiter.failed("Ada", "1.2.3.4")
    limiter.check("ada", "1.2.3.4")
    limiter.failed("ada", "1.2.3.4")
    with pytest.raises(HTTPException) as caught:
        limiter.check("ADA", "1.2.3.4")
    assert caught.value.status_code == 429
    limiter.check("ada", "5.6.7.8")  # another address is not blocked
    __import__("time").sleep(0.25)
    limiter.check("ada", "1.2.3.4")


def test_errors_map_to_http() -> None:
    from labelmill.exceptions import InputError, ProjectError, RoundError, SchemaError

    assert [
        status_of(e("x"))
        for e in (NotFoundError, AuthError, SchemaError, InputError, RoundError, ProjectError)
    ] == [404, 401, 422, 422, 409, 409]


def test_agreement() -> None:
    answers = [
        (1, "human", "u", 0, "review"),
        (2, "human", "u", 1, "review"),
        (1, "crowd", "v", 0, "crowd"),
        (3, "human", "v", 1, "audit"),  # v's blind audit answer is the gold: not checked
    ]
    out = agreement(answers, gold={1: 0, 2: 0, 3: 1})
    u, v = out["users"]
    assert (u["user"], u["answers"], u["gold_checked"], u["gold_accuracy"]) == ("u", 2, 2, 0.5)
    assert 0 < u["gold_lower"] < 0.5 < u["gold_upper"] < 1
    assert (v["user"], v["answers"], v["gold_checked"]) == ("v", 2, 1)
    # One shared item, both answered class 0: agreement 1, kappa undefined (chance = 1).
    assert out["pairs"] == [{"users": ["u", "v"], "shared": 1, "kappa": None, "agreement": 1.0}]
    assert agreement([], {}) == {
        "users": [],
        "pairs": [],
        "fleiss_kappa": None,
        "krippendorff_alpha": None,
    }


def test_cli_users_commands(project: Project) -> None:
    runner = CliRunner()
    folder = str(project.path)
    added = runner.invoke(
        users, [folder, "add", "ada", "--role", "admin"], input="password1\npassword1\n"
    )
    assert added.exit_code == 0, added.output
    assert "User ada (admin) can log in." in added.output
    listed = runner.invoke(users, [folder, "list"])
    assert "ada" in listed.output and "admin" in listed.output and "active" in listed.output
    last = runner.invoke(users, [folder, "disable", "ada"])  # the last admin stays
    assert last.exit_code == 1 and "last admin who can log in" in str(last.exception)
    env = {"LABELMILL_PASSWORD": "password3"}
    assert runner.invoke(users, [folder, "add", "eve", "--role", "admin"], env=env).exit_code == 0
    assert runner.invoke(users, [folder, "disable", "ada"]).exit_code == 0
    assert "disabled" in runner.invoke(users, [folder, "list"]).output
    assert runner.invoke(users, [folder, "enable", "ada"]).exit_code == 0
    assert runner.invoke(users, [folder, "remove", "ada"]).exit_code == 0
    assert "removed" in runner.invoke(users, [folder, "list"]).output
    env = {"LABELMILL_PASSWORD": "password2"}
    assert runner.invoke(users, [folder, "add", "bob"], env=env).exit_code == 0
    assert verify_user(project.store, "bob", "password2").role == "annotator"


def test_cli_errors_are_one_line(project: Project) -> None:
    from labelmill.cli.main import _Group

    group = _Group(commands={"users": users})  # the way cli/main.py registers it
    runner = CliRunner()
    result = runner.invoke(group, ["users", str(project.path), "remove", "ghost"])
    assert result.exit_code == 1 and "No user named 'ghost'" in result.output
    result = runner.invoke(
        group, ["users", str(project.path), "add", "x y", "--password", "password1"]
    )
    assert result.exit_code == 1 and "user name must be" in result.output


def test_cli_users_add_reads_a_piped_password_once(project: Project) -> None:
    """Trial: `echo PASSWORD | labelmill users P add NAME` printed "Aborted!" and exited 1
    (the prompt wanted the password twice); piped, one line is the password, and no line
    at all is a one-line reason."""
    from labelmill.cli.main import _Group

    group = _Group(commands={"users": users})
    runner = CliRunner()
    folder = str(project.path)
    added = runner.invoke(group, ["users", folder, "add", "ann"], input="password9\n")
    assert added.exit_code == 0, added.output
    assert verify_user(project.store, "ann", "password9").role == "annotator"
    empty = runner.invoke(group, ["users", folder, "add", "abe"], input="")
    assert empty.exit_code == 1
    assert "no password on standard input" in empty.output and "Aborted" not in empty.output


def test_cli_serve_help_and_bad_options(project: Project) -> None:
    runner = CliRunner()
    assert "Serve the labeling UI" in runner.invoke(serve, ["--help"]).output
    bad = runner.invoke(serve, [str(project.path), "--overlap", "0"])
    assert bad.exit_code != 0 and "--overlap" in bad.output


def test_ttl_cache() -> None:
    from labelmill.server.service import TTLCache

    calls = []
    cache = TTLCache(60)
    assert cache.get(lambda: calls.append(1) or len(calls)) == 1
    assert cache.get(lambda: calls.append(1) or len(calls)) == 1  # reused
    off = TTLCache(0)
    assert off.get(lambda: 5) == 5 and off.get(lambda: 6) == 6
