"""The compose stack and the image, checked without a Docker engine: every
service, command, variable and volume they name must exist and make sense.
(hadolint is not available here; the Dockerfile checks below are our own.)"""

import ast
import importlib
import json
import re
import secrets
import shlex
from pathlib import Path

import pytest
import yaml
from django.urls import resolve

from .helpers import BASE_DIR, production_env, run_manage

COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "beat"]
# Read by the postgres image, the varnish service or compose itself, not by our settings.
COMPOSE_ONLY_VARIABLES = {
    "COMPOSE_PROJECT_NAME",
    "POSTGRES_PASSWORD",
    "WEB_BIND",
    "WEB_PORT",
    "VARNISH_BIND",
    "VARNISH_PORT",
    "PURGE_ALLOW",
    "PYTHON_IMAGE",
    "DEBIAN_IMAGE",
    "POSTGRES_IMAGE",
    "REDIS_IMAGE",
    "VIVOLD_ENV_FILE",
}
# Set for web, worker and beat for the front cache's settings (core/frontcache.py),
# which arrive with the front-cache work.
FRONT_CACHE_VARIABLES = {"FRONT_CACHE_URL"}
VARIABLE_RE = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def command(service: str) -> list[str]:
    value = SERVICES[service]["command"]
    return value if isinstance(value, list) else shlex.split(value)


def settings_variables() -> tuple[set[str], set[str]]:
    """The variables vivold/settings.py reads by name, and the prefixes it reads by pattern."""
    tree = ast.parse((BASE_DIR / "vivold" / "settings.py").read_text())
    names, prefixes = set(), set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args or not isinstance(node.args[0], ast.Constant):
            continue
        func = node.func
        is_env = (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env") or (
            isinstance(func, ast.Name) and func.id == "env"
        )
        if is_env and isinstance(node.args[0].value, str):
            names.add(node.args[0].value)
        if isinstance(func, ast.Attribute) and func.attr == "startswith" and isinstance(node.args[0].value, str):
            if node.args[0].value.endswith("_") and node.args[0].value.isupper():
                prefixes.add(node.args[0].value)
    return names, prefixes


def documented_variables() -> dict[str, str]:
    """Variables .env.example shows, set or commented out, with their example values."""
    found = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            found.setdefault(match[1], match[2])
    return found


def interpolate(value: str, variables: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name, rest = match[1], match[0][2 + len(match[1]) : -1]
        if rest.startswith((":?", "?")) and not variables.get(name):
            raise KeyError(f"compose requires {name}")
        if rest.startswith((":-", "-")):
            return variables.get(name) or rest.split("-", 1)[1]
        return variables.get(name, "")

    return VARIABLE_RE.sub(replace, value).replace("$$", "$")


# --- the services ---------------------------------------------------------


def test_the_stack_has_exactly_the_services_it_needs():
    assert set(SERVICES) == {"migrate", "web", "worker", "beat", "postgres", "redis", "varnish"}
    assert "name" not in COMPOSE, "docker-compose 1.29 rejects a top-level name: (COMPOSE_PROJECT_NAME instead)"


def test_varnish_runs_the_projects_runner_in_front_of_web():
    varnish = SERVICES["varnish"]
    assert varnish["build"]["context"] == "."
    dockerfile = BASE_DIR / varnish["build"]["dockerfile"]
    text = dockerfile.read_text()
    assert "varnish varnish-modules" in text
    assert "COPY deploy/varnish/ /etc/varnish/vivold/" in text
    assert 'CMD ["/etc/varnish/vivold/start.sh"]' in text
    assert varnish["environment"]["BACKEND"] == "web:8000"
    assert varnish["depends_on"]["web"]["condition"] == "service_healthy"
    published = varnish["ports"][0]
    assert published.startswith("${VARNISH_BIND:-127.0.0.1}:") and published.endswith(":6081")
    assert varnish["environment"]["FRONT_PORT"] == "6081"
    for name in ("web", "worker", "beat"):
        environment = SERVICES[name]["environment"]
        assert environment["FRONT_CACHE_URL"] == "http://varnish:6081", name
        assert environment["DJANGO_BEHIND_PROXY"] == "1", name


def test_no_buildkit_frontend_is_fetched():
    for path in [BASE_DIR / "Dockerfile", *BASE_DIR.glob("deploy/images/*/Dockerfile")]:
        assert not path.read_text().startswith("# syntax="), path


def test_web_runs_gunicorn_on_the_wsgi_application():
    assert command("web") == ["gunicorn", "-c", "gunicorn.conf.py", "vivold.wsgi"]
    assert callable(importlib.import_module("vivold.wsgi").application)


def test_the_gunicorn_configuration_web_names_exists():
    if not (BASE_DIR / "gunicorn.conf.py").exists():
        pytest.skip("gunicorn.conf.py is added by the web-server configuration work, not merged here yet")
    compile((BASE_DIR / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec")


def test_worker_and_exactly_one_beat_run_the_celery_app():
    from vivold.celery import app

    assert app.main == "vivold"
    assert command("worker")[:4] == ["celery", "-A", "vivold", "worker"]
    assert command("beat")[:4] == ["celery", "-A", "vivold", "beat"]
    with_commands = [name for name in SERVICES if "command" in SERVICES[name]]
    beats = [name for name in with_commands if {"beat", "-B", "--beat"} & set(command(name))]
    assert beats == ["beat"]
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "scale" not in SERVICES["beat"]


def test_migrate_runs_once_and_before_the_processes_that_need_the_schema():
    assert command("migrate") == ["python", "manage.py", "migrate", "--noinput"]
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_health_checks_exist_and_web_asks_healthz():
    for name in ("web", "worker", "varnish", "postgres", "redis"):
        assert SERVICES[name]["healthcheck"]["test"], name
    # The image's own check asks a web process: the one-shot and the scheduler turn it off.
    for name in ("migrate", "beat"):
        assert SERVICES[name]["healthcheck"] == {"disable": True}, name
    web_check = SERVICES["web"]["healthcheck"]["test"]
    assert web_check[:4] == ["CMD", "python", "-m", "core.healthcheck"]
    assert importlib.import_module("core.healthcheck").main
    url = web_check[4]
    assert url.startswith("http://127.0.0.1:8000/")
    assert resolve("/" + url.split("/", 3)[3]).url_name == "healthz"
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"][1]
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_redis_keeps_queued_tasks():
    args = command("redis")
    assert args[0] == "redis-server"
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"


def test_images_are_pinned_to_a_major_version_and_can_be_replaced():
    defaults = {"postgres": "postgres:16-alpine", "redis": "redis:7-alpine"}
    for name, default in defaults.items():
        assert SERVICES[name]["image"] == f"${{{name.upper()}_IMAGE:-{default}}}"
    for name in APP_SERVICES:
        assert SERVICES[name]["build"]["context"] == "."
        assert SERVICES[name]["build"]["args"] == {"PYTHON_IMAGE": "${PYTHON_IMAGE:-python:3.11-slim}"}
        assert (BASE_DIR / "Dockerfile").exists()


# --- volumes ---------------------------------------------------------------


def test_named_volumes_hold_the_database_and_the_uploads():
    declared = set(COMPOSE["volumes"])
    used = {}
    for name, service in SERVICES.items():
        for mount in service.get("volumes", []):
            source, target = mount.split(":")[:2]
            assert source in declared, f"{name} mounts undeclared volume {source}"
            used.setdefault(source, set()).add((name, target))
    assert set(used) == declared, "a declared volume is not used"
    assert ("postgres", "/var/lib/postgresql/data") in used["pgdata"]
    media_targets = {target for _, target in used["media"]}
    assert media_targets == {SERVICES["web"]["environment"]["MEDIA_ROOT"]}
    assert {name for name, _ in used["media"]} >= {"web", "worker"}
    assert ("redis", "/data") in used["redisdata"]


# --- variables -------------------------------------------------------------


def test_every_variable_the_settings_read_is_documented_in_env_example():
    names, prefixes = settings_variables()
    documented = documented_variables()
    assert "DJANGO_SECRET_KEY" in names and "DATABASE_URL" in names  # the parser found them
    assert sorted(names - set(documented)) == []
    for prefix in prefixes:
        assert any(name.startswith(prefix) for name in documented), prefix


def test_every_documented_variable_is_read_by_something():
    names, prefixes = settings_variables()
    for name in documented_variables():
        assert name in names or name in COMPOSE_ONLY_VARIABLES or name.startswith(tuple(prefixes)), name


def test_compose_variables_are_documented_and_app_variables_are_settings():
    names, _ = settings_variables()
    documented = documented_variables()
    raw = (BASE_DIR / "docker-compose.yml").read_text()
    for name in VARIABLE_RE.findall(raw):
        assert name in documented, f"{name} is used by docker-compose.yml but not in .env.example"
    front_cache_merged = (BASE_DIR / "core" / "frontcache.py").exists()
    for service in APP_SERVICES:
        assert SERVICES[service]["env_file"] == "${VIVOLD_ENV_FILE:-.env}"
        for name in SERVICES[service]["environment"]:
            if name in FRONT_CACHE_VARIABLES and not front_cache_merged:
                continue
            assert name in names, f"{service} sets {name}, which the settings never read"
    postgres_url = SERVICES["web"]["environment"]["DATABASE_URL"]
    environment = SERVICES["postgres"]["environment"]
    assert f"{environment['POSTGRES_USER']}:" in postgres_url
    assert postgres_url.endswith(f"@postgres:5432/{environment['POSTGRES_DB']}")
    assert SERVICES["web"]["environment"]["REDIS_URL"].startswith("redis://redis:6379/")


def test_the_stack_settings_pass_check_deploy(tmp_path):
    """.env.example filled in as the operator would, plus what compose sets."""
    values = {name: value for name, value in documented_variables().items() if name in _set_lines()}
    values.update(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), POSTGRES_PASSWORD="a-database-password")
    stack_env = {name: interpolate(str(value), values) for name, value in SERVICES["web"]["environment"].items()}
    env = production_env(tmp_path, **{k: v for k, v in values.items() if k not in COMPOSE_ONLY_VARIABLES})
    env.update(stack_env)
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "postgres://vivold:a-database-password@postgres:5432/vivold" == stack_env["DATABASE_URL"]


def _set_lines() -> set[str]:
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)}


def test_interpolation_refuses_a_missing_required_variable():
    with pytest.raises(KeyError):
        interpolate("${POSTGRES_PASSWORD:?set it}", {})
    assert interpolate("${WEB_PORT:-8000}", {}) == "8000"


# --- the Dockerfile ---------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuations joined and comments dropped."""
    instructions, current = [], ""
    for raw in (BASE_DIR / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        current += " " + line.removesuffix("\\").strip() if current else line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            keyword, _, args = current.partition(" ")
            instructions.append((keyword.upper(), args.strip()))
            current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


INSTRUCTIONS = dockerfile_instructions()
KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR"}
KNOWN |= {"ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def stages() -> list[tuple[str, list[tuple[str, str]]]]:
    result = []
    for keyword, args in INSTRUCTIONS:
        if keyword == "ARG" and not result:
            continue  # a global build argument, for the FROM lines
        if keyword == "FROM":
            parts = args.split()
            result.append((parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else "", [(keyword, args)]))
        else:
            assert result, "an instruction before the first FROM"
            result[-1][1].append((keyword, args))
    return result


def test_dockerfile_instructions_are_all_known():
    assert {keyword for keyword, _ in INSTRUCTIONS} <= KNOWN


def test_the_image_is_multi_stage_on_python_3_11_slim():
    built = stages()
    assert len(built) >= 2
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in INSTRUCTIONS
    for _, instructions in built:
        assert instructions[0][1].split()[0] == "${PYTHON_IMAGE}"
    names = [name for name, _ in built]
    assert all(names) and len(set(names)) == len(names)
    for index, (_, instructions) in enumerate(built):
        for keyword, args in instructions:
            if keyword == "COPY" and "--from=" in args:
                source = re.search(r"--from=(\S+)", args)[1]
                assert source in names[:index], f"COPY --from={source} before that stage exists"


def test_the_build_stage_installs_the_pinned_requirements():
    build = stages()[0][1]
    runs = [args for keyword, args in build if keyword == "RUN"]
    assert any("pip install -r requirements.txt -c constraints.txt" in run for run in runs)
    # pip's own variables, unset unless given: the stack test installs from deploy/wheels/.
    assert ("ARG", "PIP_NO_INDEX") in build and ("ARG", "PIP_FIND_LINKS") in build
    assert ("COPY", "deploy/wheels/ wheels/") in build


def test_the_wheels_stay_out_of_the_image():
    source = dict(stages())["source"]
    assert ("RUN", "rm -rf /src/deploy/wheels") in source
    final = stages()[-1][1]
    assert ("COPY", "--from=source /src /app") in final
    assert not any(keyword == "COPY" and not args.startswith("--from=") for keyword, args in final)


def test_the_final_stage_runs_as_a_non_root_user_with_static_files_collected():
    _, final = stages()[-1]
    users = [args for keyword, args in final if keyword == "USER"]
    assert users, "the final stage must switch to a non-root user"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert any(keyword == "RUN" and "useradd" in args and user in args for keyword, args in final)
    keywords = [keyword for keyword, _ in final]
    last_user = len(keywords) - 1 - keywords[::-1].index("USER")
    assert "RUN" not in keywords[last_user:], "nothing runs as root after USER"
    collect = [args for keyword, args in final[:last_user] if keyword == "RUN" and "collectstatic" in args]
    assert collect and "DJANGO_DEBUG=0" in collect[0] and "--noinput" in collect[0]
    assert not any(keyword == "ENV" and "SECRET_KEY" in args for keyword, args in final)
    cmd = [args for keyword, args in final if keyword == "CMD"][-1]
    assert json.loads(cmd) == command("web")


def test_copy_sources_exist_and_secrets_stay_out_of_the_context():
    for keyword, args in INSTRUCTIONS:
        assert keyword != "ADD", "COPY, not ADD: no remote URLs or auto-extraction"
        if keyword == "COPY" and "--from=" not in args:
            sources = [part for part in args.split() if not part.startswith("--")][:-1]
            for source in sources:
                assert (BASE_DIR / source).exists(), f"COPY source {source} does not exist"
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    for entry in (".env", ".git", ".venv", "var"):
        assert entry in ignored


def test_the_image_health_check_uses_the_project_module():
    checks = [args for keyword, args in INSTRUCTIONS if keyword == "HEALTHCHECK"]
    assert checks and "core.healthcheck" in checks[-1]
    assert Path(BASE_DIR / "core" / "healthcheck.py").exists()


# --- the stack test's override (deploy/stack-test/compose.yml) ---------------------


def test_the_stack_test_override_adds_a_sink_and_publishes_on_loopback_only():
    override = yaml.safe_load((BASE_DIR / "deploy" / "stack-test" / "compose.yml").read_text())
    assert "name" not in override
    services = override["services"]
    assert set(services) - set(SERVICES) == {"smtp-sink"}
    for name, service in {**SERVICES, **services}.items():
        for published in service.get("ports", []):
            assert published.startswith(("127.0.0.1:", "${WEB_BIND:-127.0.0.1}:", "${VARNISH_BIND:-127.0.0.1}:")), name
    assert services["smtp-sink"]["command"] == ["python", "/sink/smtp_sink.py"]
    assert (BASE_DIR / services["smtp-sink"]["volumes"][0].split(":")[0]).exists()
    # Its own image names: a run on a server never retags the site's images.
    for name in [*APP_SERVICES, "varnish"]:
        assert services[name]["image"].startswith("vivold-stack-test/"), name
    # Every path in it is relative to the project directory, as compose resolves them.
    assert services["web"]["build"]["context"] == "."
