"""Before the tests: PostgreSQL and Redis must answer. One line naming a missing one, exit 2."""

import os
import socket
import sys
from urllib.parse import urlsplit

DB = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/repository")
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
HOW = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


def reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def main() -> int:
    for name, url, default_port in (("PostgreSQL", DB, 5432), ("Redis", REDIS, 6379)):
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or default_port
        if not reachable(host, port):
            print(f"{name} is not reachable at {host}:{port}; start it with: {HOW[name]}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
