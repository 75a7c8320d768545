"""A throwaway Redis server for the test session (the workers' broker): Debian's redis-server
on a free loopback port, its files in a temp folder, nothing saved, stopped at the end."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.pgserver import _free_port


def find_redis_server() -> Path | None:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    return Path(found) if found else None


class RedisServer:
    def __init__(self, binary: Path):
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="census-redis-"))
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.folder / "log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):  # up to ~30 s on a loaded machine
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.folder / 'log').read_text()}")
            time.sleep(0.1)
        else:
            raise RuntimeError("redis-server did not answer PING")
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        try:
            if self.process is not None:
                self.process.terminate()
                self.process.wait(timeout=30)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
