"""The package as declared: what it imports is declared, what is declared is locked, the build
requirement builds it, and it runs only on the Pythons it says it supports.

``pyproject.toml`` declares the dependencies; ``requirements/*.txt`` pin them (``make lock``);
the Makefile, the Dockerfile and ``.ci/run`` (through ``make test``) install from the pins.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
#: The code that runs in production: the packages and the migrations `tracker migrate` runs.
SHIPPED = ("tracker", "api", "migrations")
FIRST_PARTY = {"tracker", "api", "migrations"}


def declared(group: str | None = None) -> list[Requirement]:
    """The requirements of the project (``group=None``) or of one of its extras."""
    project = PYPROJECT["project"]
    found = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(line) for line in found]


def pins(name: str) -> dict[str, Version]:
    """``requirements/NAME.txt`` as {canonical name: pinned version}."""
    pinned: dict[str, Version] = {}
    for line in (REPO / "requirements" / f"{name}.txt").read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith(("#", "-")):
            requirement = Requirement(line.rstrip(" \\"))
            (version,) = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            pinned[canonicalize_name(requirement.name)] = Version(version)
    return pinned


def imported_top_levels(root: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name.partition(".")[0], path
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.module.partition(".")[0], path


def test_every_imported_package_is_declared() -> None:
    """Each third-party package the shipped code imports is a declared dependency, not one
    that happens to come along with another (``uvicorn`` through ``litestar[standard]``)."""
    distributions = packages_distributions()
    names = {canonicalize_name(r.name) for r in declared()}
    undeclared = {}
    for root in SHIPPED:
        for module, path in imported_top_levels(REPO / root):
            if module in sys.stdlib_module_names or module in FIRST_PARTY:
                continue
            provided_by = {canonicalize_name(d) for d in distributions.get(module, [module])}
            if not provided_by & names:
                undeclared.setdefault(module, str(path.relative_to(REPO)))
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


@pytest.mark.parametrize(
    ("lock", "groups"), [("serve", [None]), ("dev", [None, "dev"])], ids=["serve", "dev"]
)
def test_the_lock_pins_every_declared_dependency_within_its_range(
    lock: str, groups: list[str | None]
) -> None:
    """A dependency added to pyproject.toml without `make lock` (or a range the pins left)
    fails here, before an install from the pins lacks it."""
    pinned = pins(lock)
    missing, outside = [], []
    for group in groups:
        for requirement in declared(group):
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            version = pinned.get(canonicalize_name(requirement.name))
            if version is None:
                missing.append(str(requirement))
            elif not requirement.specifier.contains(version, prereleases=True):
                outside.append(f"{requirement} (pinned {version})")
    assert not missing, f"declared but not in requirements/{lock}.txt: {missing}; run make lock"
    assert not outside, f"pinned outside the declared range: {outside}; run make lock"


def test_serving_and_development_install_the_same_versions() -> None:
    serve, dev, uv = pins("serve"), pins("dev"), pins("uv")
    assert {name: dev.get(name) for name in serve} == serve
    assert {name: dev.get(name) for name in uv} == uv
    assert not {"pytest", "playwright", "schemathesis", "mypy", "ruff", "hypothesis"} & set(
        serve
    ), "requirements/serve.txt holds a test tool"


def test_the_running_python_is_one_the_package_declares() -> None:
    """The classifiers name exactly the Pythons the suite is run on: a run on another one
    fails here until it is tested and added."""
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    prefix = "Programming Language :: Python :: "
    versions = {
        c.removeprefix(prefix) for c in PYPROJECT["project"]["classifiers"] if c.startswith(prefix)
    }
    assert running in versions
    floor = Requirement(f"python{PYPROJECT['project']['requires-python']}").specifier
    assert floor.contains(running)
    assert min(v for v in versions if "." in v) == PYPROJECT["project"]["requires-python"].lstrip(
        ">="
    )


@pytest.mark.slow
def test_the_lowest_build_requirement_allowed_builds_the_wheel(tmp_path: Path) -> None:
    """Build a wheel with the oldest setuptools release line that ``build-system.requires``
    allows (fetched from the package index, as any installer would): ``license = "MIT"``
    needs 77."""
    (requirement,) = [
        Requirement(r)
        for r in PYPROJECT["build-system"]["requires"]
        if Requirement(r).name == "setuptools"
    ]
    (floor,) = [spec.version for spec in requirement.specifier if spec.operator == ">="]
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for package in ("tracker", "api"):
        shutil.copytree(
            REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    constraints = tmp_path / "build-constraints.txt"
    constraints.write_text(f"setuptools<{Version(floor).major + 1}\n")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv, "uv is a dev dependency (make test installs it)"
    built = subprocess.run(
        [
            uv,
            "build",
            "--wheel",
            "--resolution",
            "lowest",
            "--build-constraint",
            str(constraints),
            "--out-dir",
            str(tmp_path / "dist"),
            "--python",
            sys.executable,
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("cooperation_tracker-*.whl")
    assert wheel.stat().st_size > 0


@pytest.mark.parametrize(
    ("path", "command"),
    [
        ("Makefile", "--require-hashes -r requirements/serve.txt"),
        ("Makefile", "--require-hashes -r requirements/dev.txt"),
        ("Makefile", "--require-hashes -r requirements/uv.txt"),
        ("Dockerfile", "pip install --require-hashes -r requirements/serve.txt"),
        (".ci/run", "make test"),
    ],
)
def test_every_installer_installs_from_the_pins(path: str, command: str) -> None:
    assert command in (REPO / path).read_text()
