"""Reading the deployment files under deploy/ for the tests beside this one: the compose files, the
Kubernetes manifests (as kustomization.yaml lists them), the start scripts, and every environment variable
they set, with the names ``bot.settings.Settings`` reads (``SETTINGS``) and the secret ones (``SECRETS``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import AliasChoices, SecretStr

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILES = [DEPLOY / "compose.yaml", DEPLOY / "compose.scale.yaml"]
SCALE = DEPLOY / "compose.scale.yaml"
CONFAB_IMAGE = "confab"  # the image name the Kubernetes manifests use (kustomization.yaml maps it)
SCALED_ROLES = {"ingress", "worker", "gateway", "indexer"}

# Variables the deployment sets or reads that are not Confab settings, and whose they are.
NOT_CONFAB = {
    "POSTGRES_USER": "the postgres image: the role it creates on first start",
    "POSTGRES_DB": "the postgres image: the database it creates on first start",
    "POSTGRES_PASSWORD": "the postgres image: that role's password",
    "POD_NAME": "k8s/gateway-shard.sh: the pod's name (downward API), whose ordinal is the Discord shard",
    "PATH": "Dockerfile: the virtualenv's bin first",
    "PYTHONUNBUFFERED": "Dockerfile: Python writes logs at once",
    "HF_HUB_OFFLINE": "Dockerfile/systemd: huggingface_hub never reaches the network (the model is packaged)",
    "TRANSFORMERS_OFFLINE": "Dockerfile: the same for transformers",
    "PIP_NO_CACHE_DIR": "Dockerfile build stage: pip",
    "PIP_DISABLE_PIP_VERSION_CHECK": "Dockerfile build stage: pip",
}
# what an example file may hold where a secret goes
PLACEHOLDERS = {"", "change-me"}


# --- what the settings are ---------------------------------------------------------------------


def aliases(field: str) -> set[str]:
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return {a for a in alias.choices if isinstance(a, str)}
    return {alias} if isinstance(alias, str) else {field.upper()}


SETTINGS = {name for field in Settings.model_fields for name in aliases(field)}
SECRETS = {name for field, info in Settings.model_fields.items()
           if SecretStr in (info.annotation, *get_args(info.annotation)) for name in aliases(field)}
SECRETS |= {"POSTGRES_PASSWORD"}


# --- reading the files ----------------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))


def docs(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


@cache
def compose(path: Path = SCALE) -> dict[str, Any]:
    [doc] = docs(path)
    assert isinstance(doc, dict)
    return doc


def services(path: Path = SCALE) -> dict[str, dict[str, Any]]:
    return dict(compose(path)["services"])


def is_confab(service: dict[str, Any]) -> bool:
    return str(service.get("image", "")).split(":")[0] == "confab"


def service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def env_file_example(compose_file: Path, entry: Any) -> Path | None:
    """The committed ``.example`` of an env_file (the real one, .env or scale/.env, is kept out of git)."""
    path, required = (entry, True) if isinstance(entry, str) else (entry["path"], entry.get("required", True))
    target = (compose_file.parent / path).resolve()
    example = target.with_name(target.name + ".example")
    if example.is_file():
        return example
    assert not required, f"{compose_file.name}: env_file {path} is required but has no {example.name} in the repo"
    return None


def dotenv(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M))


def replicas(service: dict[str, Any]) -> int:
    return int(service.get("deploy", {}).get("replicas", 1))


def command(service: dict[str, Any]) -> list[str]:
    value = service.get("command", [])
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


@cache
def kustomization() -> dict[str, Any]:
    [doc] = docs(K8S / "kustomization.yaml")
    return dict(doc)


def k8s_docs() -> list[dict[str, Any]]:
    return [d for name in kustomization()["resources"] for d in docs(K8S / name)]


def k8s(kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in k8s_docs() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def workloads() -> list[dict[str, Any]]:
    return [d for d in k8s_docs() if d["kind"] in ("Deployment", "StatefulSet", "Job")]


def pod(workload: dict[str, Any]) -> dict[str, Any]:
    return dict(workload["spec"]["template"]["spec"])


def containers(workload: dict[str, Any], init: bool = True) -> list[dict[str, Any]]:
    spec = pod(workload)
    return [*spec.get("initContainers", []) * init, *spec["containers"]]


def main_container(workload: dict[str, Any]) -> dict[str, Any]:
    [container] = pod(workload)["containers"]
    return dict(container)


def k8s_env(container: dict[str, Any]) -> dict[str, str | None]:
    """The container's own env (a value, or None when it comes from valueFrom)."""
    return {e["name"]: (str(e["value"]) if "value" in e else None) for e in container.get("env", [])}


def config() -> dict[str, str]:
    [configmap] = k8s("ConfigMap", "confab-config")
    return {str(k): str(v) for k, v in configmap["data"].items()}


def role_of(workload: dict[str, Any]) -> str | None:
    return k8s_env(main_container(workload)).get("CONFAB_ROLE")


def by_role(role: str) -> dict[str, Any]:
    [workload] = [w for w in workloads() if role_of(w) == role]
    return workload


def scripts() -> list[Path]:
    return sorted(DEPLOY.rglob("*.sh"))


# --- every variable is a real one -----------------------------------------------------------------


def variables_set() -> Iterator[tuple[str, str, str | None]]:
    """(where, name, value) of every variable the deployment files set; value None when not literal."""
    for compose_file in COMPOSE_FILES:
        for name, service in services(compose_file).items():
            for key, value in service_env(service).items():
                yield f"{compose_file.name} {name}.environment", key, value
            for entry in service.get("env_file", []):
                example = env_file_example(compose_file, entry)
                text = example.read_text(encoding="utf-8") if example else ""
                for key, value in dotenv(text).items():
                    yield f"{compose_file.name} {name}.env_file {example and example.name}", key, value
    for workload in workloads():
        for container in containers(workload):
            for key, value in k8s_env(container).items():
                yield f"k8s {workload['metadata']['name']}/{container['name']}", key, value
    for configmap in k8s("ConfigMap"):
        for key, value in configmap["data"].items():
            yield f"k8s ConfigMap {configmap['metadata']['name']}", key, str(value)
    for generator in kustomization().get("configMapGenerator", []):
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            yield f"kustomization {generator['name']}", key, value
    for key, value in dotenv((K8S / "secrets.env.example").read_text(encoding="utf-8")).items():
        yield "k8s/secrets.env.example", key, value
    for script in scripts():
        for key, value in re.findall(r"^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(\S*)", script.read_text(), re.M):
            yield f"{script.name} export", key, None if "$" in value else value
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    for line in re.findall(r"^ENV\s+(.*)$", dockerfile, re.M):
        for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", line):
            yield "Dockerfile ENV", key, value
    unit = (DEPLOY / "confab.service").read_text(encoding="utf-8")
    for line in re.findall(r"^Environment=(.*)$", unit, re.M):
        for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", line):
            yield "confab.service Environment", key, value


def variables_read() -> Iterator[tuple[str, str]]:
    """Variables the start scripts read: they must be settings (or NOT_CONFAB) too."""
    for script in scripts():
        for key in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", script.read_text(encoding="utf-8")):
            if key.isupper():  # the script's own lowercase locals are not environment
                yield f"{script.name} reads", key
