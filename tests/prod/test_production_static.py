"""The image's build step, run here: collectstatic as the Dockerfile runs it,
then pages served with the hashed, compressed files, as production serves them."""

import json
import re

from .helpers import BASE_DIR, production_env, run_manage, run_python

RENDER = """
import django, json
django.setup()
from django.test import Client
client = Client()
answers = {}
for path in ["/", "/admin/login/", "/no-such-page/"]:
    response = client.get(path, secure=True)
    answers[path] = {"status": response.status_code, "html": response.content.decode()}
print(json.dumps(answers))
"""


def dockerfile_collectstatic_env() -> dict[str, str]:
    text = (BASE_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "collectstatic" in line)
    command = line.split("RUN", 1)[1].split("python manage.py collectstatic")[0]
    return dict(re.findall(r"([A-Z_]+)=(\S+)", command))


def test_collectstatic_as_the_image_runs_it_then_pages_use_hashed_files(tmp_path):
    build_env = dockerfile_collectstatic_env()
    assert build_env["DJANGO_DEBUG"] == "0"
    static_root = tmp_path / "static"
    env = production_env(tmp_path, **build_env, STATIC_ROOT=str(static_root))
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'build.sqlite3'}"
    result = run_manage(["collectstatic", "--noinput"], env, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    assert "css/site.css" in manifest and "django_prose_editor/editor.js" in manifest
    assert (static_root / (manifest["css/site.css"] + ".gz")).exists()
    # Collected as root, served by the image's unprivileged user: readable by all.
    for path in [static_root / "staticfiles.json", static_root / manifest["css/site.css"]]:
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert (static_root / "css").stat().st_mode & 0o777 == 0o755

    # Served as production serves it: the real secret, the manifest, no debug.
    serve_env = production_env(tmp_path, STATIC_ROOT=str(static_root), DJANGO_ALLOWED_HOSTS="testserver")
    assert run_manage(["migrate", "--noinput"], serve_env, timeout=120).returncode == 0
    result = run_python(RENDER, serve_env)
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["/"]["status"] == 200
    assert answers["/admin/login/"]["status"] == 200
    assert answers["/no-such-page/"]["status"] == 404
    assert f"/static/{manifest['css/site.css']}" in answers["/"]["html"]
    assert f"/static/{manifest['css/site.css']}" in answers["/no-such-page/"]["html"]
