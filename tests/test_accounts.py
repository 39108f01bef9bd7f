"""Accounts through the HTTP interface and the service: first admin, sign in and out, roles."""
import pytest
from sqlmodel import select

from workshop.db.models import User
from workshop.domain.errors import Conflict, ValidationError
from workshop.services import accounts


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
    ("x@example.com", "X", "short", "facilitator", b"at least 8 characters"),
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
