"""The deployment files agree with the code: every YAML under deploy/ parses; every environment variable a
compose file, Kubernetes manifest, Dockerfile, systemd unit or start script sets (or reads) is a real setting
of ``bot.settings.Settings`` or a variable of another program listed in ``NOT_CONFAB``; no secret is written
into a manifest; and the scaled layouts are wired as deploy/scaling.md says (migrations first, one indexer,
one Discord shard per gateway pod, the proxy and the Kubernetes Service in front of the Slack HTTP port).

Nothing here runs Docker or a cluster: the files are parsed and cross-checked.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices, SecretStr
from typer.testing import CliRunner

from agent.settings import Role
from bot.cli import app
from bot.settings import Settings
from bot.slack.adapter import EVENTS_PATH

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


def _aliases(field: str) -> set[str]:
    alias = Settings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return {a for a in alias.choices if isinstance(a, str)}
    return {alias} if isinstance(alias, str) else {field.upper()}


SETTINGS = {name for field in Settings.model_fields for name in _aliases(field)}
SECRETS = {name for field, info in Settings.model_fields.items()
           if SecretStr in (info.annotation, *get_args(info.annotation)) for name in _aliases(field)}
SECRETS |= {"POSTGRES_PASSWORD"}


def test_the_secret_settings_are_known() -> None:
    """The secret check below is only as good as this list: the database URL and the tokens are in it."""
    assert {"CONFAB_DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN",
            "OPENAI_API_KEY"} <= SECRETS
    assert not SECRETS & {"CONFAB_REDIS_PREFIX", "SLACK_MODE", "DISCORD_SHARD_COUNT"}


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
    for env in envs:
        load_settings(**{k: v for k, v in env.items() if k in SETTINGS and v is not None})


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


# --- compose.scale.yaml ------------------------------------------------------------------------------


def test_compose_runs_the_migration_before_everything_else() -> None:
    all_services = services()
    migrate = all_services["migrate"]
    assert command(migrate) == ["migrate"] and str(migrate["restart"]) == "no"
    assert depends_on(migrate) == {"postgres": "service_healthy"}
    assert "healthcheck" in all_services["postgres"]
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in all_services["postgres"]["volumes"])
    confab = [name for name, s in all_services.items() if is_confab(s) and name != "migrate"]
    assert sorted(confab) == ["gateway", "indexer", "ingress", "worker"]
    for name in confab:
        deps = depends_on(all_services[name])
        assert deps.get("migrate") == "service_completed_successfully", name
        assert deps.get("redis") == "service_healthy", name


def test_compose_database_and_redis_urls_point_at_its_services() -> None:
    all_services = services()
    postgres = service_env(all_services["postgres"])
    secrets = dotenv((DEPLOY / "scale" / ".env.example").read_text(encoding="utf-8"))
    url = urlsplit(secrets["CONFAB_DATABASE_URL"])
    assert (url.hostname, url.port, url.username, url.path) == (
        "postgres", 5432, postgres["POSTGRES_USER"], "/" + postgres["POSTGRES_DB"])
    assert url.password == secrets["POSTGRES_PASSWORD"]  # the same placeholder: one password to set
    for name, service in all_services.items():
        if is_confab(service):
            assert urlsplit(service_env(service)["CONFAB_REDIS_URL"]).hostname == "redis", name


def test_compose_runs_each_discord_shard_once() -> None:
    """A process without DISCORD_SHARD_IDS runs every shard: two replicas of it would answer twice."""
    gateways = [s for s in services().values() if is_confab(s) and "discord" in command(s)]
    assert gateways
    for service in gateways:
        assert "DISCORD_SHARD_IDS" in service_env(service) or replicas(service) == 1


def test_compose_has_one_indexer_and_it_alone_writes_the_index() -> None:
    all_services = {n: s for n, s in services().items() if is_confab(s)}
    for name, service in all_services.items():
        env, mounts = service_env(service), [str(v) for v in service.get("volumes", [])]
        index = [m for m in mounts if m.split(":")[1:2] == [env.get("CONFAB_INDEX_DIR", "/index")]]
        knowledge = [m for m in mounts if ":/app/knowledge" in m]
        if env.get("CONFAB_ROLE") == "indexer":
            assert replicas(service) == 1 and env["CONFAB_KNOWLEDGE_WATCH"] == "true"
            assert index and not index[0].endswith(":ro") and knowledge and knowledge[0].endswith(":ro")
        else:
            assert env["CONFAB_KNOWLEDGE_WATCH"] == "false" and not knowledge, name
            assert all(m.endswith(":ro") for m in index), f"{name} may write the index"
            assert index or name == "migrate", f"{name} does not mount the index"


def test_compose_services_are_hardened() -> None:
    for name, service in services().items():
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert not service.get("privileged"), name
        assert "cap_add" not in service, name


def test_the_proxy_round_robins_over_the_ingress_replicas() -> None:
    all_services = services()
    proxy = all_services["proxy"]
    [conf_mount] = [str(v) for v in proxy["volumes"] if str(v).endswith(":/etc/nginx/nginx.conf:ro")]
    conf = (SCALE.parent / conf_mount.split(":")[0]).resolve().read_text(encoding="utf-8")
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{(.*?)\}", conf, re.S))
    [(upstream, body)] = upstreams.items()
    assert "least_conn" not in body and "ip_hash" not in body and "hash " not in body  # plain round-robin
    [(host, port)] = re.findall(r"^\s*server\s+([\w.-]+):(\d+)\s+resolve;", body, re.M)
    ingress = all_services[host]
    assert service_env(ingress)["CONFAB_ROLE"] == "ingress" and replicas(ingress) > 1
    assert service_env(ingress)["SLACK_MODE"] == "http" and "slack" in command(ingress)
    assert port == service_env(ingress)["SLACK_HTTP_PORT"] and port in [str(p) for p in ingress["expose"]]
    locations = dict(re.findall(r"location\s+=\s+(\S+)\s*\{(.*?)\}", conf, re.S))
    assert f"proxy_pass http://{upstream};" in locations[EVENTS_PATH]
    [listen] = re.findall(r"^\s*listen\s+(\d+);", conf, re.M)
    assert any(str(p).endswith(f":{listen}") for p in proxy["ports"])


# --- Kubernetes --------------------------------------------------------------------------------------


def test_kustomization_lists_every_manifest() -> None:
    listed = set(kustomization()["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    for generator in kustomization()["configMapGenerator"]:
        for file in generator.get("files", []):
            assert (K8S / file).is_file(), file
    for doc in k8s_docs():
        assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name"), doc


def test_every_pod_reads_the_config_and_the_secret_and_refers_to_nothing_missing() -> None:
    configmaps = {d["metadata"]["name"] for d in k8s("ConfigMap")}
    generated = {g["name"] for g in kustomization()["configMapGenerator"]}
    claims = {d["metadata"]["name"] for d in k8s("PersistentVolumeClaim")}
    for workload in workloads():
        name = workload["metadata"]["name"]
        for container in containers(workload):
            refs = [(k, v["name"]) for source in container["envFrom"] for k, v in source.items()]
            # the Secret last: a key in both (a Redis URL with a password) takes the Secret's value
            assert refs == [("configMapRef", "confab-config"), ("secretRef", "confab-secrets")], name
            assert container["image"] == CONFAB_IMAGE, name
        for volume in pod(workload).get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps | generated, name
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name
    assert configmaps == {"confab-config"}


def test_every_pod_waits_for_the_migration_job() -> None:
    [job] = k8s("Job")
    assert main_container(job)["args"] == ["migrate"] and "initContainers" not in pod(job)
    assert pod(job)["restartPolicy"] == "OnFailure"
    for workload in workloads():
        if workload is job or workload["kind"] == "Job":
            continue
        [init] = pod(workload)["initContainers"]
        script = " ".join(init["command"])
        assert "confab migrate --check" in script and "until " in script, workload["metadata"]["name"]


def test_every_command_the_deployment_runs_exists() -> None:
    """Each confab invocation parses (a typo'd command or option fails); --platform names a platform."""
    invocations = [command(s) for s in services().values() if is_confab(s)]
    for workload in workloads():
        for container in containers(workload):
            cmd, args = container.get("command", []), container.get("args", [])
            if cmd[:2] == ["/bin/sh", "-c"]:
                invocations += [shlex.split(part)[1:] for part in re.findall(r"confab [^;&|]+", cmd[2])]
            elif cmd:  # a start script that ends in `exec confab run "$@"`
                script = (K8S / Path(cmd[-1]).name).read_text(encoding="utf-8")
                [tail] = re.findall(r'^exec confab (\w+) "\$@"$', script, re.M)
                invocations.append([tail, *args])
            else:
                invocations.append(args)
    runner = CliRunner()
    for invocation in invocations:
        result = runner.invoke(app, [*invocation, "--help"])
        assert result.exit_code == 0, f"confab {' '.join(invocation)}: {result.output}"
        platforms = [invocation[i + 1] for i, a in enumerate(invocation) if a == "--platform"]
        assert set(platforms) <= {"slack", "discord"}, invocation


def test_the_ingress_service_and_probes_reach_the_slack_port() -> None:
    deployment = by_role("ingress")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    container = main_container(deployment)
    [port] = container["ports"]
    assert str(port["containerPort"]) == config()["SLACK_HTTP_PORT"] and config()["SLACK_MODE"] == "http"
    assert container["args"] == ["run", "--platform", "slack"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["tcpSocket"]["port"] == port["name"], probe
    [service] = k8s("Service", "confab-ingress")
    assert service["spec"]["selector"].items() <= labels.items()
    [service_port] = service["spec"]["ports"]
    assert service_port["targetPort"] == port["name"]
    [ingress] = k8s("Ingress")
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    assert path["path"] == EVENTS_PATH
    backend = path["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"] and backend["port"]["name"] == service_port["name"]
    [hpa] = k8s("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    [pdb] = k8s("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    # a drain always leaves a replica, and never blocks: fewer must be required than the HPA keeps
    assert 1 <= pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert container["resources"]["requests"]["cpu"]  # the HPA's utilisation is relative to it


def test_gateway_pods_are_one_discord_shard_each() -> None:
    gateway = by_role("gateway")
    assert gateway["kind"] == "StatefulSet"
    container = main_container(gateway)
    env = k8s_env(container)
    assert int(env["DISCORD_SHARD_COUNT"] or 0) == gateway["spec"]["replicas"]
    assert "DISCORD_SHARD_IDS" not in env and "DISCORD_SHARD_IDS" not in config()  # the script derives it
    [pod_name] = [e for e in container["env"] if e["name"] == "POD_NAME"]
    assert pod_name["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert container["args"] == ["--platform", "discord"]
    # the script is the generated ConfigMap, mounted where the command runs it
    script_path = Path(container["command"][-1])
    [mount] = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == script_path.parent]
    [volume] = [v for v in pod(gateway)["volumes"] if v["name"] == mount["name"]]
    [generator] = [g for g in kustomization()["configMapGenerator"] if g["name"] == volume["configMap"]["name"]]
    assert script_path.name in generator["files"]
    service = k8s("Service", gateway["spec"]["serviceName"])
    assert service and service[0]["spec"]["clusterIP"] == "None"


def test_one_indexer_writes_the_index_and_every_other_pod_reads_it() -> None:
    indexer = by_role("indexer")
    assert indexer["metadata"]["name"] == "confab-indexer" and main_container(indexer)["name"] == "confab"
    assert indexer["kind"] == "Deployment" and indexer["spec"]["replicas"] == 1
    assert indexer["spec"]["strategy"]["type"] == "Recreate"
    assert k8s_env(main_container(indexer))["CONFAB_KNOWLEDGE_WATCH"] == "true"
    assert config()["CONFAB_KNOWLEDGE_WATCH"] == "false"
    [claim] = k8s("PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # pods on several nodes mount it
    for workload in workloads():
        volumes = {v["name"]: v for v in pod(workload).get("volumes", [])}
        for container in containers(workload):
            for mount in container.get("volumeMounts", []):
                source = volumes[mount["name"]].get("persistentVolumeClaim")
                if source is None:
                    continue
                assert mount["mountPath"] == config()["CONFAB_INDEX_DIR"]
                writes = not mount.get("readOnly") or not source.get("readOnly")
                where = f"{workload['metadata']['name']}/{container['name']}"
                assert writes == (where == "confab-indexer/confab"), where
    assert sum(role_of(w) == "indexer" for w in workloads()) == 1


def test_every_pod_is_hardened() -> None:
    for workload in workloads():
        spec = pod(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for container in containers(workload):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, container["name"]
            assert context["readOnlyRootFilesystem"] is True, container["name"]
            assert context["capabilities"]["drop"] == ["ALL"], container["name"]
            assert "add" not in context["capabilities"], container["name"]
        if workload["kind"] != "Job":  # answers in flight get CONFAB_SHUTDOWN_GRACE_S to finish
            assert spec["terminationGracePeriodSeconds"] > float(config()["CONFAB_SHUTDOWN_GRACE_S"])


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
