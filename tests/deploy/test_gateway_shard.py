"""deploy/k8s/gateway-shard.sh, run for real with /bin/sh: pod ``confab-gateway-k`` starts ``confab run`` on
Discord shard k, and a pod name or shard count it cannot use stops it with the reason instead."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.settings import load_settings

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "gateway-shard.sh"


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the script with a stand-in ``confab`` on PATH that prints what it was started with."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "confab"
    fake.write_text('#!/bin/sh\necho "args=$*"\necho "DISCORD_SHARD_IDS=$DISCORD_SHARD_IDS"\n'
                    'echo "DISCORD_SHARD_COUNT=$DISCORD_SHARD_COUNT"\necho "pid=$$"\n', encoding="utf-8")
    fake.chmod(0o755)
    return subprocess.run(["/bin/sh", str(SCRIPT), "--platform", "discord"], capture_output=True, text=True,
                          env={"PATH": f"{bin_dir}:/usr/bin:/bin", **env}, timeout=30, check=False)


@pytest.mark.parametrize("ordinal", [0, 1, 2])
def test_pod_k_runs_shard_k(tmp_path: Path, ordinal: int) -> None:
    done = start(tmp_path, POD_NAME=f"confab-gateway-{ordinal}", DISCORD_SHARD_COUNT="3")
    assert done.returncode == 0, done.stderr
    out = dict(line.split("=", 1) for line in done.stdout.splitlines())
    assert out["args"] == "run --platform discord"
    assert out["DISCORD_SHARD_IDS"] == str(ordinal) and out["DISCORD_SHARD_COUNT"] == "3"
    # what the script exports is what Confab accepts
    settings = load_settings(DISCORD_SHARD_COUNT=out["DISCORD_SHARD_COUNT"], DISCORD_SHARD_IDS=out["DISCORD_SHARD_IDS"])
    assert settings.shard_ids == [ordinal]


def test_confab_replaces_the_script(tmp_path: Path) -> None:
    """``exec``: confab takes over the shell's process, so it receives the pod's SIGTERM itself."""
    start(tmp_path, POD_NAME="confab-gateway-0", DISCORD_SHARD_COUNT="1")  # writes the stand-in confab
    process = subprocess.Popen(["/bin/sh", str(SCRIPT)], stdout=subprocess.PIPE, text=True,
                               env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "POD_NAME": "confab-gateway-0",
                                    "DISCORD_SHARD_COUNT": "1"})
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and f"pid={process.pid}" in out.splitlines()


@pytest.mark.parametrize(("env", "reason"), [
    ({"DISCORD_SHARD_COUNT": "2"}, "POD_NAME is not set"),
    ({"POD_NAME": "confab-gateway-1"}, "DISCORD_SHARD_COUNT is not set"),
    ({"POD_NAME": "confab-gateway-2", "DISCORD_SHARD_COUNT": "2"},
     "has ordinal 2 but DISCORD_SHARD_COUNT=2: set DISCORD_SHARD_COUNT to the replicas"),
    ({"POD_NAME": "confab-gateway-7f9c6d-x2x4z", "DISCORD_SHARD_COUNT": "2"}, "does not end in -<ordinal>"),
    ({"POD_NAME": "confab-gateway-0", "DISCORD_SHARD_COUNT": "two"}, "DISCORD_SHARD_COUNT=two is not a number"),
])
def test_a_pod_it_cannot_place_stops_with_the_reason(tmp_path: Path, env: dict[str, str], reason: str) -> None:
    done = start(tmp_path, **env)
    assert done.returncode == 2
    assert reason in done.stderr and done.stdout == ""  # confab never started


def test_the_script_is_executable_shell() -> None:
    assert os.access(SCRIPT, os.X_OK)
    assert SCRIPT.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    subprocess.run(["/bin/sh", "-n", str(SCRIPT)], check=True, timeout=30)
