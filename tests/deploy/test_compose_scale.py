"""deploy/compose.scale.yaml and its proxy are wired as deploy/scaling.md says: the migration first, the
database and Redis URLs pointing at their services, each Discord shard run once, one indexer writing the
index, every service hardened, and nginx round-robining over the Slack HTTP replicas' port.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.slack.adapter import EVENTS_PATH
from tests.deploy.files import (
    DEPLOY,
    SCALE,
    command,
    depends_on,
    dotenv,
    is_confab,
    replicas,
    service_env,
    services,
)


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
            if index:  # the indexer's read-write mount comes first: the fresh volume takes /index's owner
                assert depends_on(service).get("indexer") == "service_started", name


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
