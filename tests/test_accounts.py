"""Accounts through the HTTP interface and the service: first admin, sign in and out, roles."""
import pytest
from sqlmodel import select

from workshop.db.models import User
from workshop.domain.errors import Conflict, ValidationError
from workshop.services import accounts
from tests.conftest import invite_link


def test_empty_install_sends_the_first_visitor_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/setup")


def test_first_account_becomes_admin_and_is_signed_in(auth, client, db):
    response = auth.setup()
    assert response.status_code == 302
    with db.session() as session:
        user = session.exec(select(User)).one()
    assert user.is_admin and user.role == "facilitator"
    assert user.password_hash != "correct horse" and user.password_hash.startswith(("scrypt", "pbkdf2"))
    assert client.get("/").status_code == 200


def test_passwords_are_hashed_with_scrypt_unless_the_setting_names_another_werkzeug_method(monkeypatch):
    monkeypatch.delenv("PASSWORD_HASH_METHOD", raising=False)
    stored = accounts.hash_password("correct horse")
    assert stored.startswith("scrypt:")
    monkeypatch.setenv("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1")
    assert accounts.hash_password("correct horse").startswith("pbkdf2:sha256:1$")
    for unsafe in ("plain", "md5", "sha256"):
        monkeypatch.setenv("PASSWORD_HASH_METHOD", unsafe)
        with pytest.raises(RuntimeError, match="PASSWORD_HASH_METHOD"):
            accounts.hash_password("correct horse")


def test_setup_is_closed_once_an_account_exists(auth, client):
    auth.setup()
    auth.logout()
    response = auth.setup(email="eve@example.com")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_shows_a_clear_message(signed_in, client):
    signed_in.logout()
    response = signed_in.login(password="wrong password")
    assert response.status_code == 400
    assert b"Wrong email or password" in response.data


def test_sign_out_then_in_again(signed_in, client):
    signed_in.logout()
    assert client.get("/").status_code == 302
    assert signed_in.login().status_code == 302
    assert client.get("/").status_code == 200


def test_admin_adds_a_product_owner(signed_in, client, db):
    response = signed_in.add_user("po@example.com", "Pat Owner", "product_owner")
    assert response.status_code == 302
    with db.session() as session:
        assert session.exec(select(User).where(User.email == "po@example.com")).one().role == "product_owner"


@pytest.mark.parametrize("email,name,password,role,message", [
    ("not-an-email", "X", "long enough", "facilitator", b"is not an email address"),
    ("x@example.com", "", "long enough", "facilitator", b"Name is required"),
    ("x@example.com", "X" * 121, "long enough", "facilitator", b"the limit is 120"),
    ("x@example.com", "X", "long enough", "wizard", b"Unknown role"),
])
def test_bad_account_input_is_refused_with_a_message(signed_in, client, db, email, name, password, role, message):
    response = signed_in.add_user(email, name, role, password=password)
    assert response.status_code == 400 and message in response.data
    with db.session() as session:
        assert len(session.exec(select(User)).all()) == 1


def test_duplicate_email_is_refused(signed_in):
    response = signed_in.add_user("ada@example.com", "Ada Again", "facilitator")
    assert response.status_code == 400 and b"already exists" in response.data


def test_non_admin_cannot_see_the_people_page(signed_in, client):
    signed_in.add_user("fac@example.com", "Fay", "facilitator")
    signed_in.logout()
    signed_in.login("fac@example.com", "another pass")
    assert client.get("/users").status_code == 404


def test_service_refuses_a_second_first_admin(db):
    with db.session() as session:
        accounts.create_first_admin(session, "a@example.com", "A", "password1")
        with pytest.raises(Conflict):
            accounts.create_first_admin(session, "b@example.com", "B", "password2")
        with pytest.raises(ValidationError):
            accounts.authenticate(session, "a@example.com", "nope")


# --- account management: an admin edits, resets, deactivates; a person changes their password -----

from workshop.domain.errors import Forbidden, NotFound  # noqa: E402
from workshop.domain.permissions import Account  # noqa: E402


def user_row(db, email) -> User:
    with db.session() as session:
        return session.exec(select(User).where(User.email == email)).one()


@pytest.fixture
def fay(signed_in, db):
    """A second account, a facilitator, added by the signed-in admin Ada."""
    signed_in.add_user("fay@example.com", "Fay Facilitator", "facilitator")
    return user_row(db, "fay@example.com")


def other_browser(app, email="fay@example.com", password="another pass"):
    """A second browser, signed in as someone else."""
    browser = app.test_client()
    assert browser.post("/login", data={"email": email, "password": password}).status_code == 302
    assert browser.get("/").status_code == 200
    return browser


def is_signed_out(browser) -> bool:
    response = browser.get("/")
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_people_page_lists_status_and_links_to_each_person(signed_in, client, fay):
    page = client.get("/users").get_data(as_text=True)
    assert f'href="/users/{fay.id}"' in page and "active" in page


def test_admin_changes_a_persons_name_and_role(signed_in, client, db, fay):
    response = client.post(f"/users/{fay.id}", data={"name": "Fay Owner", "role": "product_owner"})
    assert response.status_code == 302
    row = user_row(db, "fay@example.com")
    assert (row.name, row.role, row.is_admin) == ("Fay Owner", "product_owner", False)


def test_admin_grants_then_revokes_admin_rights(signed_in, client, db, fay):
    client.post(f"/users/{fay.id}", data={"name": fay.name, "role": "facilitator", "is_admin": "on"})
    assert user_row(db, "fay@example.com").is_admin
    client.post(f"/users/{fay.id}", data={"name": fay.name, "role": "facilitator"})
    assert not user_row(db, "fay@example.com").is_admin


def test_a_changed_role_applies_to_a_live_session_on_its_next_request(app, signed_in, client, fay):
    browser = other_browser(app)
    assert browser.get("/users").status_code == 404
    client.post(f"/users/{fay.id}", data={"name": fay.name, "role": "facilitator", "is_admin": "on"})
    assert browser.get("/users").status_code == 200


@pytest.mark.parametrize("data,message", [
    ({"name": "", "role": "product_owner", "is_admin": "on"}, b"Name is required"),
    ({"name": "X" * 121, "role": "product_owner"}, b"the limit is 120"),
    ({"name": "Fay Owner", "role": "wizard", "is_admin": "on"}, b"Unknown role"),
])
def test_a_bad_edit_is_refused_and_nothing_changes(signed_in, client, db, fay, data, message):
    response = client.post(f"/users/{fay.id}", data=data)
    assert response.status_code == 400 and message in response.data
    row = user_row(db, "fay@example.com")
    assert (row.name, row.role, row.is_admin) == ("Fay Facilitator", "facilitator", False)


def test_admin_makes_a_password_link_and_the_persons_other_sessions_end_once_it_is_used(app, signed_in, client, fay):
    browser = other_browser(app)
    response = client.post(f"/users/{fay.id}/password")
    assert response.status_code == 302
    link = invite_link(client.get(response.headers["Location"]).get_data(as_text=True))
    assert client.get(f"/users/{fay.id}").get_data(as_text=True).count("/invite/") == 0  # shown once
    # until the link is used, the current password still works and the session goes on
    assert browser.get("/").status_code == 200
    theirs = app.test_client()
    page = theirs.get(link)
    assert page.status_code == 200 and b"fay@example.com" in page.data and b"At least 8 characters" in page.data
    assert theirs.post(link, data={"password": "brand new pass", "repeat": "brand new pass"}).status_code == 302
    assert theirs.get("/").status_code == 200  # signed in by the link
    assert is_signed_out(browser)
    assert browser.post("/login", data={"email": "fay@example.com", "password": "another pass"}).status_code == 400
    assert browser.post("/login", data={"email": "fay@example.com", "password": "brand new pass"}).status_code == 302
    assert client.get("/").status_code == 200  # the admin's own session is untouched
    assert theirs.get(link).status_code == 404  # once only


@pytest.mark.parametrize("password,repeat,message", [
    ("short", "short", b"at least 8 characters"),
    ("x" * 1025, "x" * 1025, b"longer than 1024 characters"),
    ("brand new pass", "brand new pasS", b"not the same"),
])
def test_a_password_set_on_a_link_follows_the_password_rules(app, signed_in, client, db, fay, password, repeat,
                                                             message):
    response = client.post(f"/users/{fay.id}/password")
    link = invite_link(client.get(response.headers["Location"]).get_data(as_text=True))
    theirs = app.test_client()
    response = theirs.post(link, data={"password": password, "repeat": repeat})
    assert response.status_code == 400 and message in response.data
    assert user_row(db, "fay@example.com").password_hash == fay.password_hash
    assert theirs.get(link).status_code == 200  # a refused attempt does not spend the link


def test_admin_resets_their_own_password_only_on_the_account_page(signed_in, client, db):
    ada = user_row(db, "ada@example.com")
    response = client.post(f"/users/{ada.id}/password")
    assert response.status_code == 400 and b"Account page" in response.data
    assert user_row(db, "ada@example.com").password_hash == ada.password_hash


def test_a_deactivated_account_cannot_sign_in(signed_in, client, auth, db, fay):
    assert client.post(f"/users/{fay.id}/status", data={"active": "0"}).status_code == 302
    assert not user_row(db, "fay@example.com").is_active
    auth.logout()
    refused = auth.login("fay@example.com", "another pass")
    assert refused.status_code == 400 and b"This account is deactivated; ask an admin." in refused.data
    # without the right password nothing tells a deactivated account from a wrong password or no account
    for email, password in (("fay@example.com", "wrong password"), ("nobody@example.com", "another pass")):
        response = auth.login(email, password)
        assert response.status_code == 400 and b"Wrong email or password" in response.data
        assert b"deactivated" not in response.data


def test_a_deactivated_persons_live_session_is_refused_on_its_next_request(app, signed_in, client, fay):
    browser = other_browser(app)
    client.post(f"/users/{fay.id}/status", data={"active": "0"})
    assert is_signed_out(browser)
    assert browser.get("/account").status_code == 302


def test_a_reactivated_account_signs_in_again_with_everything_as_it_was(signed_in, client, auth, db, fay):
    client.post(f"/users/{fay.id}/status", data={"active": "0"})
    assert client.post(f"/users/{fay.id}/status", data={"active": "1"}).status_code == 302
    row = user_row(db, "fay@example.com")
    assert row.is_active and row.role == "facilitator" and row.password_hash == fay.password_hash
    auth.logout()
    assert auth.login("fay@example.com", "another pass").status_code == 302


def test_an_admin_cannot_deactivate_or_demote_themselves(signed_in, client, db, fay):
    client.post(f"/users/{fay.id}", data={"name": fay.name, "role": "facilitator", "is_admin": "on"})  # not the last
    ada = user_row(db, "ada@example.com")
    deactivate = client.post(f"/users/{ada.id}/status", data={"active": "0"})
    assert deactivate.status_code == 400 and b"cannot deactivate your own account" in deactivate.data
    demote = client.post(f"/users/{ada.id}", data={"name": "Ada Renamed", "role": "product_owner"})
    assert demote.status_code == 400 and b"cannot remove your own admin rights" in demote.data
    row = user_row(db, "ada@example.com")  # nothing half-written: not the name, not the role
    assert (row.name, row.role, row.is_admin, row.is_active) == ("Ada Facilitator", "facilitator", True, True)
    assert client.get("/").status_code == 200


def test_an_admin_may_rename_themselves_and_change_their_role(signed_in, client, db):
    ada = user_row(db, "ada@example.com")
    response = client.post(f"/users/{ada.id}", data={"name": "Ada L.", "role": "product_owner", "is_admin": "on"})
    assert response.status_code == 302
    row = user_row(db, "ada@example.com")
    assert (row.name, row.role, row.is_admin) == ("Ada L.", "product_owner", True)


def test_the_last_active_admin_can_never_be_deactivated_or_demoted(signed_in, client, db, fay):
    """Two admins demote each other (the second with a view of the world from before the first did):
    one succeeds, the other is refused, and one active admin remains."""
    client.post(f"/users/{fay.id}", data={"name": fay.name, "role": "facilitator", "is_admin": "on"})
    ada = user_row(db, "ada@example.com")
    stale_fay = Account(id=fay.id, role="facilitator", is_admin=True)
    with db.session() as session:
        accounts.set_active(session, accounts.as_account(ada), fay.id, False)
        with pytest.raises(Conflict) as refused:
            accounts.set_active(session, stale_fay, ada.id, False)
        assert refused.value.code == "last_admin"
        with pytest.raises(Conflict) as refused:
            accounts.update_user(session, stale_fay, ada.id, name="Ada", role="facilitator", is_admin=False)
        assert refused.value.code == "last_admin"
    row = user_row(db, "ada@example.com")
    assert row.is_admin and row.is_active and row.name == "Ada Facilitator"
    # the People page says so instead of offering the button
    page = client.get(f"/users/{ada.id}").get_data(as_text=True)
    assert "cannot deactivate your own account" in page and 'data-test="deactivate"' not in page


def test_a_deactivated_admin_does_not_count_as_an_admin(signed_in, client, db, fay):
    client.post(f"/users/{fay.id}", data={"name": fay.name, "role": "facilitator", "is_admin": "on"})
    client.post(f"/users/{fay.id}/status", data={"active": "0"})
    with db.session() as session:
        assert accounts.active_admin_count(session) == 1
        with pytest.raises(Conflict):
            accounts.set_active_by_email(session, "ada@example.com", False)


@pytest.mark.parametrize("method,path,data", [
    ("get", "/users/{id}", None),
    ("post", "/users/{id}", {"name": "Hacked", "role": "facilitator", "is_admin": "on"}),
    ("post", "/users/{id}/password", {}),
    ("post", "/users/{id}/status", {"active": "0"}),
])
def test_non_admins_get_403_on_account_management(app, signed_in, db, fay, method, path, data):
    signed_in.add_user("pat@example.com", "Pat Owner", "product_owner")
    ada = user_row(db, "ada@example.com")
    for email in ("fay@example.com", "pat@example.com"):
        browser = other_browser(app, email)
        for target in (ada.id, fay.id, 999999):
            response = getattr(browser, method)(path.format(id=target), data=data)
            assert response.status_code == 403, (email, target, response.status_code)
    row = user_row(db, "ada@example.com")
    assert (row.name, row.is_active, row.password_hash) == ("Ada Facilitator", True, ada.password_hash)
    assert not user_row(db, "fay@example.com").is_admin


def test_management_needs_a_signed_in_admin_and_a_real_account(signed_in, client, auth, fay):
    assert client.get("/users/999999").status_code == 404
    auth.logout()
    response = client.post(f"/users/{fay.id}/status", data={"active": "0"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_account_forms_are_csrf_protected(app, signed_in, client, db, fay):
    page = client.get(f"/users/{fay.id}").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 4  # sign out, profile, password, deactivate
    assert 'name="csrf_token"' in client.get("/account").get_data(as_text=True)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/users/{fay.id}/status", data={"active": "0"})
    assert response.status_code == 400 and b"Your form expired" in response.data
    assert client.post("/account", data={"current": "correct horse", "password": "new pass 123",
                                         "repeat": "new pass 123"}).status_code == 400
    assert user_row(db, "fay@example.com").is_active


def test_a_person_changes_their_own_password(app, signed_in, client, auth, db, fay):
    browser = other_browser(app)
    elsewhere = other_browser(app)
    assert b'href="/account"' in browser.get("/").data  # linked from the header
    response = browser.post("/account", data={"current": "another pass", "password": "my new secret",
                                              "repeat": "my new secret"})
    assert response.status_code == 302
    assert browser.get("/").status_code == 200  # this session carries on
    assert is_signed_out(elsewhere)  # the others end
    assert elsewhere.post("/login", data={"email": "fay@example.com", "password": "another pass"}).status_code == 400
    assert elsewhere.post("/login", data={"email": "fay@example.com", "password": "my new secret"}).status_code == 302


@pytest.mark.parametrize("current,password,repeat,message", [
    ("wrong password", "my new secret", "my new secret", b"current password is not right"),
    ("another pass", "short", "short", b"at least 8 characters"),
    ("another pass", "my new secret", "my new secreT", b"not the same"),
])
def test_changing_your_password_needs_the_current_one_and_follows_the_rules(app, signed_in, db, fay,
                                                                            current, password, repeat, message):
    browser = other_browser(app)
    response = browser.post("/account", data={"current": current, "password": password, "repeat": repeat})
    assert response.status_code == 400 and message in response.data
    assert user_row(db, "fay@example.com").password_hash == fay.password_hash


def test_a_deactivated_person_cannot_be_added_to_a_discovery(signed_in, client, fay):
    _, discovery_id = signed_in.create_discovery()
    client.post(f"/users/{fay.id}/status", data={"active": "0"})
    response = client.post(f"/discoveries/{discovery_id}/members", data={"email": "fay@example.com"},
                           follow_redirects=True)
    assert b"deactivated" in response.data
    client.post(f"/users/{fay.id}/status", data={"active": "1"})
    response = client.post(f"/discoveries/{discovery_id}/members", data={"email": "fay@example.com"},
                           follow_redirects=True)
    assert b"can now see this discovery" in response.data


def test_a_deactivated_facilitators_board_seat_no_longer_opens(signed_in, client, db, fay):
    from workshop.services import discoveries
    _, discovery_id = signed_in.create_discovery()
    _, workshop_id = signed_in.create_workshop(discovery_id)
    client.post(f"/discoveries/{discovery_id}/members", data={"email": "fay@example.com"})
    with db.session() as session:
        _, secret = discoveries.facilitator_seat(session, accounts.as_account(fay), fay.name, workshop_id)
        assert discoveries.participant_for_secret(session, workshop_id, secret) is not None
    client.post(f"/users/{fay.id}/status", data={"active": "0"})
    with db.session() as session:
        assert discoveries.participant_for_secret(session, workshop_id, secret) is None


def test_service_refuses_management_to_non_admins_and_unknown_accounts(db):
    with db.session() as session:
        admin = accounts.create_first_admin(session, "a@example.com", "A", "password1")
        other = accounts.create_user(session, "b@example.com", "B", "password2", "facilitator")
        with pytest.raises(Forbidden):
            accounts.set_active(session, accounts.as_account(other), admin.id, False)
        with pytest.raises(Forbidden):
            accounts.password_link(session, accounts.as_account(other), admin.id)
        with pytest.raises(NotFound):
            accounts.update_user(session, accounts.as_account(admin), 999999, name="X", role="facilitator",
                                 is_admin=False)
        with pytest.raises(ValidationError):
            accounts.change_own_password(session, other.id, "nope", "password3")


# --- invitations: people set their own password on a one-time link ----------------------------------

from datetime import datetime, timedelta, timezone  # noqa: E402

from workshop.db.models import Invite  # noqa: E402


def _invite(client, email="priya@example.com", name="Priya", role="product_owner"):
    response = client.post("/users", data={"email": email, "name": name, "role": role})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return invite_link(page), page


def test_an_invited_person_sets_their_own_password_within_seven_days(app, signed_in, client, db):
    link, page = _invite(client)
    assert "Send this link to Priya" in page and 'data-copy="invite-url"' in page
    with db.session() as session:
        user = session.exec(select(User).where(User.email == "priya@example.com")).one()
        (invite,) = session.exec(select(Invite).where(Invite.user_id == user.id)).all()
        created, expires = invite.created_at, invite.expires_at
        assert not accounts.has_password(user) and invite.token_hash not in link  # only a hash is kept
    assert timedelta(days=7) - (expires - created) < timedelta(seconds=1)
    people = client.get("/users").get_data(as_text=True)
    assert "invited" in people and f"until {expires:%Y-%m-%d}" in people
    # nobody signs in to an account whose password is not set, whatever they type
    stranger = app.test_client()
    for guess in ("", "!unset", "another pass"):
        response = stranger.post("/login", data={"email": "priya@example.com", "password": guess})
        assert response.status_code == 400 and b"Wrong email or password" in response.data
    theirs = app.test_client()
    form = theirs.get(link)
    assert b"Welcome, Priya" in form.data and b'data-test="password-rule"' in form.data
    assert b'minlength="8"' in form.data  # the rule is enforced in the form too, before submit
    assert theirs.post(link, data={"password": "priya's own words", "repeat": "priya's own words"}).status_code == 302
    assert b"Priya" in theirs.get("/").data
    assert theirs.get(link).status_code == 404 and stranger.get(link).status_code == 404
    assert stranger.post("/login", data={"email": "priya@example.com",
                                         "password": "priya's own words"}).status_code == 302
    assert "invited" not in client.get("/users").get_data(as_text=True)


def test_an_expired_or_replaced_link_opens_nothing(app, signed_in, client, db):
    first, _ = _invite(client)
    with db.session() as session:
        user = session.exec(select(User).where(User.email == "priya@example.com")).one()
    second = invite_link(client.get(client.post(f"/users/{user.id}/password").headers["Location"])
                         .get_data(as_text=True))
    theirs = app.test_client()
    refused = theirs.get(first)
    assert refused.status_code == 404 and b"replaced by a newer one" in refused.data
    assert theirs.post(first, data={"password": "long enough", "repeat": "long enough"}).status_code == 404
    assert theirs.get(second).status_code == 200
    with db.session() as session:  # a week and a second later
        for invite in session.exec(select(Invite).where(Invite.user_id == user.id)).all():
            invite.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
            session.add(invite)
        session.commit()
    assert theirs.get(second).status_code == 404
    assert b"link expired" in client.get("/users").data
    with db.session() as session:
        assert not accounts.has_password(session.get(User, user.id))


def test_a_deactivated_persons_link_opens_nothing(app, signed_in, client, db):
    link, _ = _invite(client)
    with db.session() as session:
        user = session.exec(select(User).where(User.email == "priya@example.com")).one()
    assert client.post(f"/users/{user.id}/status", data={"active": "0"}).status_code == 302
    assert app.test_client().get(link).status_code == 404
    response = client.post(f"/users/{user.id}/password")
    assert response.status_code == 400 and b"deactivated" in response.data


def test_garbage_tokens_are_refused_quietly(app, signed_in):
    browser = app.test_client()
    for token in ("x", "a" * 65, "not-a-real-token-but-long-enough", "%00%00"):
        assert browser.get(f"/invite/{token}").status_code == 404


def test_a_long_pasted_password_is_kept_whole_and_signs_in(app, signed_in, client, auth, db, fay):
    """A walkthrough pasted a 250-character password: the form's maxlength cut it to 200 without a
    word, and the whole one never signed in. No password field cuts anything now; the rule says the
    limit in words."""
    long_one = "correct horse battery staple " * 9  # 261 characters
    browser = other_browser(app)
    page = browser.get("/account").get_data(as_text=True)
    assert 'type="password"' in page and "maxlength" not in "".join(
        line for line in page.splitlines() if 'type="password"' in line)
    assert browser.post("/account", data={"current": "another pass", "password": long_one,
                                          "repeat": long_one}).status_code == 302
    assert app.test_client().post("/login", data={"email": "fay@example.com", "password": long_one}).status_code == 302
