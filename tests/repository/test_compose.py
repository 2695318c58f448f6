import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_file_is_valid():
    assert shutil.which("docker-compose"), "docker-compose is installed by `make test` (scripts/test-deps.sh)"
    result = subprocess.run(
        ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "compose-check"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_seven_long_running_services_each_have_a_healthcheck():
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = data["services"]
    assert set(services) == {"postgres", "redis", "minio", "minio-buckets", "nginx", "web", "worker", "beat"}
    # minio-buckets runs once (creates the buckets) and exits; the application waits for its success.
    assert services["minio-buckets"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        waits = services[name]["depends_on"]["minio-buckets"]["condition"]
        assert waits == "service_completed_successfully", name
    for name, service in services.items():
        if name != "minio-buckets":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["nginx"]["healthcheck"]["test"])


def test_nginx_faces_the_clients_and_gunicorn_runs_the_repository_config():
    from repository.stack import PLACEHOLDERS

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    nginx, web = services["nginx"], services["web"]
    assert "ports" not in web  # only nginx is published
    assert any(port.endswith(":8080") for port in nginx["ports"])
    assert "./deploy/nginx.conf:/etc/repository/nginx.conf.template:ro" in nginx["volumes"]
    command = " ".join(nginx["command"])
    for name in PLACEHOLDERS:  # envsubst fills in every placeholder the template has, and only those
        assert f"$${name}" in command and name in nginx["environment"]
    assert "gunicorn -c deploy/gunicorn.conf.py" in web["command"]
    assert web["environment"]["X_ACCEL_REDIRECT_PREFIX"] == "/protected/"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]' in dockerfile
    assert "3600" not in web["command"] + dockerfile
