"""The production stack files (Dockerfile, deploy/compose.yaml, Caddyfile), checked by structure.

The project's build machines have no Docker engine, so the stack is not started here
(docs/deploy.md says so); these tests hold the properties an inspection asks about.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "deploy" / "compose.yaml"
DATA_SERVICES = {"db", "redis", "minio", "minio-init"}
APP_SERVICES = {"migrate", "web", "worker", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _networks(service: dict) -> set[str]:
    networks = service.get("networks", [])
    return set(networks) if isinstance(networks, list | dict) else set()


def test_stack_has_every_tier(compose):
    services = compose["services"]
    assert set(services) == APP_SERVICES | DATA_SERVICES | {"proxy"}
    assert services["web"]["command"][:1] == ["gunicorn"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "qaryz", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "qaryz", "beat"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["minio"]["image"].startswith("minio/minio")
    assert services["proxy"]["image"].startswith("caddy:")
    # one beat only: two would schedule every periodic job twice
    assert "deploy" not in services["beat"] and "scale" not in services["beat"]
    env = services["web"]["environment"]
    assert env["QARYZ_STORAGE"] == "s3" and env["QARYZ_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["CELERY_BROKER_URL"].startswith("redis://") and "@redis:6379" in env["CELERY_BROKER_URL"]
    assert "@db:5432/" in env["DATABASE_URL"]


@pytest.mark.req("R-NET-1")
def test_internet_facing_tier_is_apart_from_the_data_stores(compose):
    services, networks = compose["services"], compose["networks"]
    # only the proxy is reachable from outside
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert all("expose" not in services[name] for name in DATA_SERVICES)
    # the data stores sit on the internal network only, which has no route to the Internet
    for name in DATA_SERVICES:
        assert _networks(services[name]) == {"backend"}, name
    assert networks["backend"].get("internal") is True
    # the proxy shares no network with any data store
    proxy_networks = _networks(services["proxy"])
    for name in DATA_SERVICES:
        assert not proxy_networks & _networks(services[name]), name
    assert "backend" not in proxy_networks
    # every network other than backend carries no data store
    for network in set(networks) - {"backend"}:
        assert not any(network in _networks(services[name]) for name in DATA_SERVICES), network
    # the Internet-facing proxy keeps no confidential data: only its configuration and certificates
    assert sorted(v.split(":")[0] for v in services["proxy"]["volumes"]) == ["./Caddyfile", "caddy-certs"]
    for volume in ("pg-data", "redis-data", "minio-data", "qaryz-keys"):
        assert not any(v.startswith(volume + ":") for v in services["proxy"].get("volumes", []))


@pytest.mark.req("R-NET-1")
def test_only_the_proxy_address_may_set_forwarded_headers(compose):
    services = compose["services"]
    proxy_ip = services["proxy"]["networks"]["edge"]["ipv4_address"]
    assert services["web"]["environment"]["QARYZ_FORWARDED_ALLOW_IPS"] == proxy_ip


def test_app_containers_are_hardened(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert "privileged" not in service, name


def test_app_settings_named_in_compose_are_read_by_the_code(compose):
    """A misspelt variable in the compose file would silently fall back to an embedded default."""
    code = (ROOT / "qaryz" / "settings.py").read_text() + (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    for name in APP_SERVICES:
        for variable in compose["services"][name]["environment"]:
            assert re.search(rf"[\"']{re.escape(variable)}[\"']", code), f"{name}: {variable} is read nowhere"


def test_secrets_are_required_not_defaulted():
    text = COMPOSE.read_text()
    for secret in ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "DJANGO_SECRET_KEY", "MINIO_ROOT_PASSWORD"):
        uses = re.findall(rf"\$\{{{secret}([^}}]*)\}}", text)
        assert uses, secret
        assert all(use.startswith(":?") for use in uses), f"{secret} must be ${{{secret}:?…}}"


@pytest.mark.req("R-TLS-1")
def test_proxy_offers_tls_12_and_13_only():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"^\s*protocols tls1\.2 tls1\.3\s*$", caddyfile, re.M)
    assert "reverse_proxy web:8000" in caddyfile


def _stages(dockerfile: str) -> list[list[str]]:
    stages: list[list[str]] = []
    for line in dockerfile.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_dockerfile_is_multi_stage_slim_and_runs_unprivileged():
    stages = _stages((ROOT / "Dockerfile").read_text())
    assert len(stages) >= 2
    assert all(stage[0].startswith("FROM python:3.11-slim") for stage in stages)
    runtime = stages[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    # the runtime stage compiles nothing: no build tools there
    assert not any("build-essential" in line or "gcc" in line for line in runtime)
    assert any(line.startswith("COPY --from=build") for line in runtime)
    assert any("--require-hashes" in line for line in stages[0])
    assert runtime[-1].startswith("CMD ") and "gunicorn" in runtime[-1]


def test_key_material_and_local_data_never_enter_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "var", "var-keys"} <= ignored


def _pins(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)==(\S+)(.*)$", line)
        if match:
            hashes = frozenset(re.findall(r"--hash=(sha256:[0-9a-f]+)", match.group(3)))
            pins[match.group(1).lower()] = (match.group(2), hashes)
    return pins


def test_runtime_requirements_are_the_locked_versions():
    """deploy/requirements-runtime.txt must not drift from requirements/lock.txt; regenerate with
    `.venv/bin/python deploy/make_runtime_requirements.py`."""
    runtime = _pins(ROOT / "deploy" / "requirements-runtime.txt")
    locked = _pins(ROOT / "requirements" / "lock.txt")
    assert runtime, "no pins read"
    for name, (version, hashes) in runtime.items():
        assert name in locked, f"{name} is not in requirements/lock.txt"
        assert locked[name][0] == version, f"{name}: runtime {version}, lock {locked[name][0]}"
        assert hashes and hashes == locked[name][1], f"{name}: hashes differ from the lock"
    assert {"django", "gunicorn", "celery", "psycopg", "django-storages"} <= set(runtime)
    assert not {"pytest", "playwright", "moto", "ruff"} & set(runtime)


def test_runtime_requirements_carry_every_direct_dependency():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins(ROOT / "deploy" / "requirements-runtime.txt")
    for requirement in project["dependencies"]:
        name = re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in runtime, f"{name} (pyproject dependency) is missing from the runtime requirements"
