"""Every environment variable the deployment files set (compose files, Kubernetes manifests, the Dockerfile,
the systemd unit, the start scripts) or a start script reads is a real setting of ``bot.settings.Settings``
or a variable of another program listed in ``NOT_CONFAB``; the values given load as settings; every YAML
under deploy/ parses (without duplicate keys); and no secret is written into any file under deploy/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
import yaml

from agent.settings import Role
from tests.deploy.files import (
    COMPOSE_FILES,
    DEPLOY,
    NOT_CONFAB,
    PLACEHOLDERS,
    ROOT,
    SCALED_ROLES,
    SECRETS,
    SETTINGS,
    config,
    containers,
    docs,
    dotenv,
    is_confab,
    k8s,
    k8s_env,
    service_env,
    services,
    variables_read,
    variables_set,
    workloads,
    yaml_files,
)


def test_the_secret_settings_are_known() -> None:
    """The secret check below is only as good as this list: the database URL and the tokens are in it."""
    assert {"CONFAB_DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN",
            "OPENAI_API_KEY"} <= SECRETS
    assert not SECRETS & {"CONFAB_REDIS_PREFIX", "SLACK_MODE", "DISCORD_SHARD_COUNT"}


def test_every_yaml_under_deploy_parses() -> None:
    files = yaml_files()
    assert {p.relative_to(DEPLOY).as_posix() for p in files} >= {
        "compose.yaml", "compose.scale.yaml", "slack-app-manifest.yml", "k8s/kustomization.yaml"}
    for path in files:
        assert docs(path), f"{path} is empty"
        for doc in docs(path):
            assert isinstance(doc, dict), f"{path}: a document that is not a mapping"


def test_every_variable_the_deployment_sets_is_a_setting() -> None:
    found = [*((where, key) for where, key, _ in variables_set()), *variables_read()]
    assert len(found) > 40  # the collectors really read the files
    unknown = sorted({f"{key} ({where})" for where, key in found if key not in SETTINGS | NOT_CONFAB.keys()})
    assert not unknown, f"not a setting of bot.settings.Settings nor listed in NOT_CONFAB: {unknown}"


def test_env_example_names_only_settings() -> None:
    names = dotenv((ROOT / ".env.example").read_text(encoding="utf-8"))
    assert names and set(names) <= SETTINGS, set(names) - SETTINGS


def test_literal_values_are_valid_settings() -> None:
    """The values the manifests give Confab load: a typo'd role, mode or number fails here, not at start."""
    from bot.settings import load_settings

    envs = [service_env(s) for path in COMPOSE_FILES for s in services(path).values() if is_confab(s)]
    envs += [{**config(), **k8s_env(c)} for w in workloads() for c in containers(w)]
    # the database URL (with its password) comes from the env file / Secret, never a manifest: stand in for it
    from_secrets = {"CONFAB_DATABASE_URL": "postgresql://confab:from-the-secret@postgres:5432/confab"}
    for env in envs:
        literal = {k: v for k, v in env.items() if k in SETTINGS and v is not None}
        scaled = "CONFAB_REDIS_URL" in literal or literal.get("CONFAB_ROLE", "all") != "all"
        load_settings(**(from_secrets if scaled else {}), **literal)


def test_every_role_is_valid_and_deployed() -> None:
    valid = set(get_args(Role))
    compose_roles = [service_env(s).get("CONFAB_ROLE") for s in services().values() if is_confab(s)]
    k8s_roles = [k8s_env(c).get("CONFAB_ROLE") for w in workloads() for c in containers(w)]
    used = {r for r in compose_roles + k8s_roles if r is not None}
    assert used <= valid, used - valid
    assert {r for r in compose_roles if r} == SCALED_ROLES
    assert {r for r in k8s_roles if r} == SCALED_ROLES


# --- no secret in the repository --------------------------------------------------------------------

_TOKEN_SHAPES = {
    "a Slack token": r"\bxox[abeprs]-[0-9A-Za-z-]{8,}",
    "a Slack app-level token": r"\bxapp-\d-[0-9A-Za-z-]{8,}",
    "an OpenAI-style key": r"\bsk-[A-Za-z0-9_-]{16,}",
    "a Discord bot token": r"\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}",
}


def _placeholder(value: str) -> bool:
    if "://" in value:
        return (urlsplit(value).password or "") in PLACEHOLDERS
    return value.strip().strip("'\"") in PLACEHOLDERS


def test_no_secret_is_written_into_a_manifest() -> None:
    for where, key, value in variables_set():
        if key not in SECRETS or (value and "://" in value and urlsplit(value).password is None):
            continue  # not a secret, or a URL without a password (the compose Redis, reachable only inside)
        # secrets come from env_file / the Secret: an example file may name one, with a placeholder only
        assert "example" in where, f"{where} sets the secret {key}: it belongs in an env_file or the Secret"
        assert value is not None and _placeholder(value), f"{where}: {key} holds a value, not a placeholder"
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        for what, shape in _TOKEN_SHAPES.items():
            assert not re.search(shape, text), f"{path.relative_to(ROOT)} holds {what}"
        for password in re.findall(r"://[^/\s:@]+:([^@\s/]+)@", text):
            assert password in PLACEHOLDERS, f"{path.relative_to(ROOT)}: a URL with a real-looking password"
    assert not k8s("Secret"), "a Secret's values would be in the repository: reference confab-secrets instead"


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_yaml_has_no_tabs_or_duplicate_keys(path: Path) -> None:
    """PyYAML keeps the last of two equal keys silently; a duplicated env key would hide a setting."""

    class Strict(yaml.SafeLoader):
        pass

    def no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        # the keys written in this mapping ("<<" merges are overridden on purpose, not duplicated)
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge"]
        duplicates = {k for k in keys if keys.count(k) > 1}
        assert not duplicates, f"{path.name} line {node.start_mark.line + 1}: duplicate {duplicates}"
        loader.flatten_mapping(node)
        return dict(loader.construct_pairs(node))  # type: ignore[no-untyped-call]

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)
    assert "\t" not in path.read_text(encoding="utf-8")
    list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=Strict))  # a SafeLoader subclass
