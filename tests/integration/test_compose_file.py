"""The container topology as files: docker-compose.yml, the Dockerfile and .dockerignore.

No Docker engine runs where the tests run, so these tests read the files and check what the
engine would rely on: the services and their order (health checks, ``depends_on`` conditions),
the database volume, that every ``TRACKER_*`` variable handed to a container is one the tracker
reads, and that the image runs as a non-root user with no build tools in its final stage.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TRACKER_SERVICES = ("migrate", "api", "projector")
#: Modules that read TRACKER_* variables from the environment.
CONFIG_MODULES = (
    REPO / "tracker" / "settings.py",
    REPO / "tracker" / "logs.py",
    REPO / "api" / "metrics.py",
)
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|clang|make|build-essential|cmake|python3?-dev|libpq-dev|cargo|rustc|git)\b"
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def known_variables() -> set[str]:
    return {
        name
        for module in CONFIG_MODULES
        for name in re.findall(r"[\"'](TRACKER_[A-Z0-9_]+)[\"']", module.read_text())
    }


class Stage:
    def __init__(self, base: str, name: str | None) -> None:
        self.base = base
        self.name = name
        self.instructions: list[tuple[str, str]] = []

    def all(self, keyword: str) -> list[str]:
        return [arguments for word, arguments in self.instructions if word == keyword]


def dockerfile_stages() -> list[Stage]:
    """The Dockerfile's stages, each with its instructions (continuation lines joined)."""
    text = (REPO / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    stages: list[Stage] = []
    for raw in logical.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = arguments.split()
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
            stages.append(Stage(parts[0], name))
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append((keyword, arguments.strip()))
    return stages


def test_the_topology_has_a_database_a_migration_the_api_and_a_projector(
    services: dict[str, Any],
) -> None:
    assert set(services) >= {"db", *TRACKER_SERVICES}
    assert services["db"]["image"].startswith("postgres:")
    assert command_of(services["migrate"])[:2] == ["tracker", "migrate"]
    assert command_of(services["projector"])[:2] == ["tracker", "projector"]
    api = command_of(services["api"])
    assert api[:2] == ["tracker", "serve"]
    assert "--workers" in api
    assert api[api.index("--host") + 1] == "0.0.0.0"


def test_every_tracker_service_runs_the_one_image_built_here(services: dict[str, Any]) -> None:
    images = {services[name]["image"] for name in TRACKER_SERVICES}
    assert len(images) == 1
    for name in TRACKER_SERVICES:
        assert services[name]["build"] == "."


def test_the_database_is_health_checked_and_keeps_its_data_in_a_named_volume(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    db = services["db"]
    test = db["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))
    assert db["healthcheck"]["retries"] >= 1
    volumes = [str(v) for v in db["volumes"]]
    named = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    assert named, "the data directory must be on a volume"
    assert named[0] in compose["volumes"], "a named volume, declared at the top level"


def test_services_start_in_order_on_health_and_completion(services: dict[str, Any]) -> None:
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["migrate"].get("restart", "no") == "no", "a one-shot job is not restarted"
    for name in ("api", "projector"):
        assert services[name]["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
        assert services[name]["restart"] in ("unless-stopped", "always", "on-failure")


def test_the_api_leaves_projection_to_the_projector_and_is_health_checked(
    services: dict[str, Any],
) -> None:
    api = services["api"]
    assert api["environment"]["TRACKER_PROJECTOR"] == "external"
    assert services["projector"]["environment"].get("TRACKER_PROJECTOR", "inprocess") != (
        "external"
    )
    check = " ".join(api["healthcheck"]["test"])
    assert "/ready" in check
    for port in api["ports"]:
        assert str(port).startswith("127.0.0.1:"), "published on loopback only"


def test_every_tracker_variable_given_to_a_container_is_one_the_tracker_reads(
    services: dict[str, Any],
) -> None:
    known = known_variables()
    assert {"TRACKER_DATABASE_URL", "TRACKER_PROJECTOR", "TRACKER_LOG_FORMAT"} <= known
    for name in TRACKER_SERVICES:
        environment = services[name]["environment"]
        assert isinstance(environment, dict), "environment as a mapping"
        given = {key for key in environment if key.startswith("TRACKER_")}
        assert given, f"{name} gets its configuration from TRACKER_* variables"
        assert given <= known, f"{name}: unknown variables {sorted(given - known)}"
        url = environment["TRACKER_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@db:5432/" in url


def test_the_image_is_built_in_stages_and_runs_slim_as_a_non_root_user() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage"
    final = stages[-1]
    assert re.fullmatch(r"python:3\.11-slim(@sha256:[0-9a-f]+)?", final.base)
    users = final.all("USER")
    assert users, "the final stage sets USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    copied = " ".join(final.all("COPY"))
    assert f"--from={stages[0].name}" in copied, "the runtime takes the build stage's result"
    assert "/opt/venv" in copied


def test_the_final_stage_has_no_build_tools() -> None:
    final = dockerfile_stages()[-1]
    for command in final.all("RUN"):
        assert not BUILD_TOOLS.search(command), f"build tool in the final stage: {command}"
        assert "pip install" not in command
        assert "apt-get install" not in command


def test_the_image_serves_the_api_by_default() -> None:
    final = dockerfile_stages()[-1]
    command = final.all("CMD")[-1]
    assert command.startswith("[")
    assert yaml.safe_load(command) == ["tracker", "serve", "--host", "0.0.0.0"]


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = {
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var"} <= ignored
    for needed in ("pyproject.toml", "README.md", "tracker", "api", "migrations", "alembic.ini"):
        assert needed not in ignored
