"""Configuration: the generated secret survives concurrent start-ups; the proxy setting is honoured."""
import multiprocessing

from workshop.config import load_secret_key


def test_processes_starting_together_share_one_generated_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with multiprocessing.get_context("fork").Pool(6) as pool:
        keys = pool.map(load_secret_key, [str(tmp_path)] * 30)
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_secret_key(str(tmp_path)) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_behind_a_proxy_rate_limits_see_the_client_address(app, monkeypatch):
    from workshop import create_app
    seen = {}
    trusting = create_app({**app.config, "TRUST_PROXY": 1})

    @trusting.get("/_whoami")
    def whoami():
        from flask import request
        seen["addr"] = request.remote_addr
        return "ok"

    trusting.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen["addr"] == "203.0.113.7"
