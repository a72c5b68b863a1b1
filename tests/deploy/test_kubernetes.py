"""The Kubernetes manifests (deploy/k8s) are wired as deploy/scaling.md says: kustomization.yaml lists them
all, every pod reads the ConfigMap and the Secret and waits for the migration Job, every command they run
exists, the Ingress, Service, probes, HPA and PDB reach the Slack HTTP port of the ingress Deployment, gateway
pods run one Discord shard each, one indexer writes the index, and every pod is hardened.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.slack.adapter import EVENTS_PATH
from tests.deploy.files import (
    CONFAB_IMAGE,
    K8S,
    by_role,
    command,
    config,
    containers,
    is_confab,
    k8s,
    k8s_docs,
    k8s_env,
    kustomization,
    main_container,
    pod,
    role_of,
    services,
    workloads,
)


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
    assert "replicas" not in deployment["spec"]  # the HPA owns it: `kubectl apply` must not reset it
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


def test_kustomize_builds_the_manifests() -> None:
    """Where kubectl is installed, its kustomize renders the directory: the generated script ConfigMap's
    hashed name replaces the name the StatefulSet mounts, and every image becomes the pushed one."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize build was not checked")
    built = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False)
    assert built.returncode == 0, built.stderr
    rendered = [d for d in yaml.safe_load_all(built.stdout) if d]
    assert {d["metadata"].get("namespace") for d in rendered if d["kind"] != "Namespace"} == {"confab"}
    [script] = [d for d in rendered if d["kind"] == "ConfigMap" and d["metadata"]["name"] != "confab-config"]
    assert script["data"]["gateway-shard.sh"] == (K8S / "gateway-shard.sh").read_text(encoding="utf-8")
    [gateway] = [d for d in rendered if d["kind"] == "StatefulSet"]
    mounted = [v["configMap"]["name"] for v in gateway["spec"]["template"]["spec"]["volumes"] if "configMap" in v]
    assert mounted == [script["metadata"]["name"]]
    [image] = kustomization()["images"]
    pods = [d["spec"]["template"]["spec"] for d in rendered if d["kind"] in ("Deployment", "StatefulSet", "Job")]
    assert {c["image"] for p in pods for c in [*p.get("initContainers", []), *p["containers"]]} == {
        f"{image['newName']}:{image['newTag']}"}
