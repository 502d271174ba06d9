"""`openenv validate` on this package: the static level through its command line, and its
runtime graders, with their own code, on evidence its own collector gathers from the real server
(CI has no Docker daemon for its provider to start the image in)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openenv.validation", reason="the package validator needs openenv >= 0.10")

from openenv.validation.graders import Subject  # noqa: E402
from openenv.validation.graders.runtime import (  # noqa: E402
    ObservationSchemaGrader,
    RewardWellFormedGrader,
    StateContractGrader,
)
from openenv.validation.parsers.openenv_yaml import OpenEnvYamlParser  # noqa: E402
from openenv.validation.runtime.collector import collect_runtime_evidence  # noqa: E402
from openenv.validation.runtime.contracts import load_runtime_plan  # noqa: E402
from openenv.validation.types import CheckStatus  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The package as the repository holds it: the validator hashes the whole tree and refuses
    symbolic links, which a build directory (a venv under target/) has."""
    dest = tmp_path_factory.mktemp("package")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file() and not source.is_symlink():
            (dest / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name.decode())
    return dest


def test_static_level_passes(package):
    cli = Path(sys.executable).with_name("openenv")
    out = subprocess.run(
        [str(cli), "validate", str(package), "--level", "static", "--skip-build", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    report = json.loads(out.stdout)
    statuses = {r["check_id"]: r["status"] for r in report["results"]}
    assert statuses == {"static.manifest": "pass"}, out.stdout
    assert out.returncode == 0, out.stdout + out.stderr


def test_runtime_graders_pass_against_the_live_server(package, server_url):
    manifest = OpenEnvYamlParser().parse(package)
    plan = load_runtime_plan(package, manifest.execution)
    evidence = collect_runtime_evidence(
        server_url, plan, episode_timeout_s=manifest.resources.episode_timeout_s
    )
    assert evidence.failure_reason is None, evidence.failure_reason
    # The probe plan plays its episode to the end: the last step answers correctly.
    last = json.loads(evidence.exchanges[-2].response_json)["data"]
    # A correct answer earns at least 1.0, more the fewer steps it took.
    assert last["done"] is True and 1.0 <= last["reward"] <= 1.1, last
    subject = Subject(
        root=package, manifest=manifest, image_ref=None, running=None,
        outputs_dir=package / "outputs", runtime_evidence=evidence,
    )
    for grader in (RewardWellFormedGrader(), ObservationSchemaGrader(), StateContractGrader()):
        result = grader.run(subject)
        assert result.status is CheckStatus.PASS, (grader.check_id, result.evidence)
