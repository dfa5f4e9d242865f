"""`make image-test`: build the Dockerfile with podman and start what it built.

No container registry is reachable where CI runs, so the `python:3.11-slim` the Dockerfile
starts from is made here once and kept in podman's storage: a Debian bookworm minbase
(debootstrap, from the Debian mirror this machine's apt uses) with Python 3, the host's CA
bundle and the host's pip configuration (its network settings: index, proxy, trusted hosts,
certificate) as /etc/pip.conf. `podman rmi localhost/python:3.11-slim` makes it again.

OCI runtimes cannot set rlimits on these machines, so the image is not `podman run`: its
file system is mounted (`podman create` + `podman mount`) and its entry point runs there
under chroot as the image's user, with the image's environment and working directory:
`shushang migrate`, then `shushang serve` against a throwaway PostgreSQL on TCP loopback,
and /healthz, /v1/catalog and /docs must answer 200. Everything started is stopped and
removed at the end, failure or not.

Without podman or debootstrap, or not as root, it skips naming what to install; under CI
(CI or SHUSHANG_REQUIRE_INTEROP=1, as .ci/run sets) that is a failure.
Not a pytest module (pytest collects test_*.py only): `make test` never runs it.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parents[2]
BASE = "localhost/python:3.11-slim"
IMAGE = "localhost/shushang:image-test"
INSTALL = "apt-get install --no-install-recommends podman debootstrap"
# What the Dockerfile's FROM needs besides Debian's essentials: a `python` with venv and
# ensurepip, CA certificates for pip, and groupadd/useradd (passwd) for the image's user.
PACKAGES = "python3,python3-venv,python-is-python3,ca-certificates,passwd"
# pip settings that say how to reach an index; the rest of the host's configuration
# (local wheel directories, constraint files) means nothing inside the build.
PIP_NETWORK = {
    "index-url",
    "extra-index-url",
    "trusted-host",
    "proxy",
    "timeout",
    "default-timeout",
    "retries",
    "cert",
    "client-cert",
}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# Every image built on the stand-in inherits this label: the prune after a build removes only
# those of our earlier builds that nothing names any more.
LABEL = "shushang.image-test=debootstrap"
SUITE = "bookworm"  # python:3.11-slim's Debian


def say(message: str) -> None:
    print(f"image-test: {message}", flush=True)


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    say("$ " + shlex.join(args))
    return subprocess.run(args, check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def output(*args: str) -> str:
    return subprocess.run(args, check=True, text=True, capture_output=True).stdout


def skip_or_fail(why: str) -> None:
    if os.environ.get("SHUSHANG_REQUIRE_INTEROP") == "1" or os.environ.get("CI"):
        sys.exit(f"image-test: FAILED: {why} (CI / SHUSHANG_REQUIRE_INTEROP=1)")
    say(f"SKIPPED: {why}")
    sys.exit(0)


def check_tools() -> None:
    missing = [tool for tool in ("podman", "debootstrap", "chroot") if not shutil.which(tool)]
    if missing:
        skip_or_fail(f"{', '.join(missing)} not found; install: {INSTALL}")
    if os.geteuid() != 0:
        skip_or_fail("needs root (debootstrap, podman mount, chroot): run it with sudo")


# --- the base image ---------------------------------------------------------------------


def debian_mirror() -> str:
    """The archive this machine's apt takes bookworm from (not the security archive):
    sources.list's one-line form or sources.list.d's deb822 stanzas."""
    paths = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in paths:
        if not path.is_file() or path.suffix not in {".list", ".sources"}:
            continue
        lines = [  # comment lines go entirely: a blank line ends a deb822 stanza
            line.split("#", 1)[0].rstrip()
            for line in path.read_text().splitlines()
            if not line.lstrip().startswith("#")
        ]
        if path.suffix == ".list":
            for line in lines:
                words = [word for word in line.split() if not word.startswith("[")]
                if words[:1] == ["deb"] and len(words) > 2 and words[2] == SUITE:
                    return words[1]
            continue
        for stanza in "\n".join(lines).split("\n\n"):
            fields = {
                key.strip().lower(): value.split()
                for key, _, value in (line.partition(":") for line in stanza.splitlines())
                if value
            }
            types, suites = fields.get("types", []), fields.get("suites", [])
            if "deb" in types and SUITE in suites and fields.get("uris"):
                return fields["uris"][0]
    sys.exit(f"image-test: FAILED: no `deb` source for {SUITE} in /etc/apt/sources.list*")


def pip_configuration() -> tuple[str, Path | None]:
    """The host pip's network settings as a pip.conf, and the CA bundle pip trusts."""
    listed = output(sys.executable, "-m", "pip", "config", "list")
    settings: dict[tuple[str, str], str] = {}
    environment: dict[tuple[str, str], str] = {}
    for line in listed.splitlines():
        match = re.fullmatch(r"(:env:|[\w-]+)\.([\w-]+)='(.*)'", line.strip())
        if not match:
            continue
        section, key, value = match.groups()
        if section == ":env:":
            environment[("global", key)] = value
        else:
            settings[(section, key)] = value
    settings.update(environment)  # PIP_* variables win over files, as in pip
    bundle = Path(settings.get(("global", "cert"), "") or CA_BUNDLE)
    config = configparser.ConfigParser()
    for (section, key), value in sorted(settings.items()):
        if key not in PIP_NETWORK:
            continue
        if key in {"cert", "client-cert"}:
            value = CA_BUNDLE if key == "cert" else ""
        kept = (
            [word for word in value.split() if urlparse(word).scheme in {"http", "https"}]
            if key.endswith("index-url")
            else value.split()
        )
        if not kept:
            continue
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, key, " ".join(kept))
    if bundle.is_file() and not config.has_option("global", "cert"):
        if not config.has_section("global"):
            config.add_section("global")
        config.set("global", "cert", CA_BUNDLE)
    text = "# The image-test host's pip settings (tests/image/smoke.py).\n"
    with tempfile.TemporaryFile("w+") as buffer:
        config.write(buffer)
        buffer.seek(0)
        text += buffer.read()
    return text, bundle if bundle.is_file() else None


def make_base(work: Path) -> None:
    """Debootstrap bookworm with Python and import it as python:3.11-slim."""
    rootfs = work / "rootfs"
    mirror = debian_mirror()
    started = time.monotonic()
    run(
        "debootstrap",
        "--variant=minbase",
        f"--include={PACKAGES}",
        SUITE,
        str(rootfs),
        mirror,
        stdout=subprocess.DEVNULL,
    )
    say(f"debootstrap took {time.monotonic() - started:.0f} s")
    pip_conf, bundle = pip_configuration()
    if bundle is not None:
        shutil.copyfile(bundle, rootfs / CA_BUNDLE.lstrip("/"))
    (rootfs / "etc/pip.conf").write_text(pip_conf)
    say("pip.conf of the base:\n" + pip_conf)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / cache).glob("*"):
            if entry.is_file():
                entry.unlink()
    archive = work / "rootfs.tar"
    run("tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(archive), ".")
    run(
        "podman",
        "import",
        "--change",
        "ENV LANG=C.UTF-8",
        "--change",
        'CMD ["python3"]',
        "--change",
        f"LABEL {LABEL}",
        str(archive),
        BASE,
        stdout=subprocess.DEVNULL,
    )


def ensure_base(work: Path) -> None:
    if subprocess.run(["podman", "image", "exists", BASE]).returncode == 0:
        say(f"{BASE} is cached (podman rmi {BASE} to make it again)")
        return
    say(f"{BASE} is missing: making it with debootstrap (a few minutes, once)")
    make_base(work)


# --- PostgreSQL on TCP loopback -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def postgres(work: Path) -> Iterator[str]:
    """A throwaway PostgreSQL (the pgserver wheel's) on 127.0.0.1: its plain URL."""
    from app.core import embedded

    binaries = embedded.binaries()
    if binaries is None:
        sys.exit("image-test: FAILED: the pgserver wheel is missing from the venv")
    user: dict[str, str] = {}
    data = work / "pgdata"
    data.mkdir()
    if os.geteuid() == 0:  # postgres refuses root: run it as pgserver's own user
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is unset
            from pgserver.utils import ensure_user_exists

        entry = ensure_user_exists("pgserver")
        assert entry is not None
        os.chmod(work, 0o755)
        os.chown(data, entry.pw_uid, entry.pw_gid)
        user = {"user": "pgserver"}
    port = free_port()
    subprocess.run(
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "--auth=trust",
            "-U",
            "postgres",
            "--encoding=utf8",
        ],
        check=True,
        capture_output=True,
        cwd=work,
        **user,
    )  # type: ignore[call-overload]
    log = data / "postgres.log"  # written by the server's user
    subprocess.run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(log),
            "start",
            "-o",
            f"-h 127.0.0.1 -p {port} -k {data}",
        ],
        check=True,
        capture_output=True,
        cwd=work,
        **user,
    )  # type: ignore[call-overload]
    try:
        subprocess.run(
            [
                str(binaries / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-c",
                "CREATE DATABASE shushang",
            ],
            check=True,
            capture_output=True,
        )
        say(f"PostgreSQL on 127.0.0.1:{port}")
        yield f"postgresql://postgres@127.0.0.1:{port}/shushang"
    finally:
        subprocess.run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-w", "-m", "fast", "stop"],
            capture_output=True,
            cwd=work,
            **user,
        )  # type: ignore[call-overload]


# --- the image, built, mounted and started --------------------------------------------------


def build() -> None:
    """Build the image; the build stage is tagged too, so that the prune of our earlier
    builds' leftovers keeps its layers (the pip installs) as the next build's cache."""
    started = time.monotonic()
    common = [
        "podman",
        "build",
        "--format=docker",  # keeps the Dockerfile's HEALTHCHECK (OCI has none)
        "--isolation=chroot",
        "--pull=never",
        "--network=host",
        "-f",
        "Dockerfile",
    ]
    run(*common, "--target=build", "-t", f"{IMAGE}-build", ".", cwd=ROOT)
    run(*common, "-t", IMAGE, ".", cwd=ROOT)
    say(f"podman build took {time.monotonic() - started:.0f} s")
    subprocess.run(
        ["podman", "image", "prune", "--force", "--filter", f"label={LABEL}"],
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def mounted(name: str) -> Iterator[Path]:
    run("podman", "create", "--name", name, IMAGE, stdout=subprocess.DEVNULL)
    try:
        yield Path(output("podman", "mount", name).strip())
    finally:
        subprocess.run(["podman", "umount", name], capture_output=True)
        subprocess.run(["podman", "rm", "--force", name], capture_output=True)


class Image:
    """How the image says to start it: its user, environment, directory and entry point."""

    def __init__(self, root: Path) -> None:
        config = json.loads(output("podman", "image", "inspect", IMAGE))[0]["Config"]
        self.root = root
        self.user = config.get("User") or "root"
        self.env = dict(item.split("=", 1) for item in config.get("Env") or [])
        self.workdir = config.get("WorkingDir") or "/"
        self.entrypoint = list(config.get("Entrypoint") or [])
        self.cmd = list(config.get("Cmd") or [])

    def command(self, args: list[str], **env: str) -> list[str]:
        """chroot as the image's user, then `env` sets the image's environment (and the
        test's additions), enters the working directory and execs the entry point by PATH."""
        user = self.user if ":" in self.user else f"{self.user}:{self.user}"
        variables = [f"{k}={v}" for k, v in {**self.env, **env}.items()]
        return [
            "chroot",
            f"--userspec={user}",
            str(self.root),
            "/usr/bin/env",
            "-i",
            "-C",
            self.workdir,
            *variables,
            *self.entrypoint,
            *args,
        ]


def get_ok(base: str, path: str) -> httpx.Response:
    answer = httpx.get(base + path, timeout=30)
    if answer.status_code != 200:
        raise AssertionError(f"GET {path}: {answer.status_code} {answer.text[:300]}")
    say(f"GET {path}: 200 ({len(answer.content)} bytes)")
    return answer


def smoke(image: Image, database_url: str) -> None:
    env = {"DATABASE_URL": database_url}
    run(*image.command(["migrate"], **env), timeout=300)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = image.command(image.cmd, SHUSHANG_HOST="127.0.0.1", SHUSHANG_PORT=str(port), **env)
    say("$ " + shlex.join(serve))
    server = subprocess.Popen(serve)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise AssertionError(f"shushang serve exited with {server.returncode}")
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("shushang serve did not answer /healthz within 120 s")
            time.sleep(0.5)
        get_ok(base, "/healthz")
        get_ok(base, "/v1/catalog")
        page = get_ok(base, "/docs").text
        # Swagger UI's script and style come from the image itself (fastapi-offline's
        # package data), not from a CDN: each must be there.
        for asset in re.findall(r'(?:src|href)="(/[^"]+)"', page):
            get_ok(base, asset)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> None:
    # A CI timeout's SIGTERM unwinds like an error: the finally blocks stop and remove.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    check_tools()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shushang-image-") as directory:
        work = Path(directory)
        ensure_base(work)
        build()
        with mounted(f"shushang-image-test-{os.getpid()}") as root:
            image = Image(root)
            say(f"entry point {image.entrypoint} {image.cmd} as {image.user} in {image.workdir}")
            with postgres(work) as database_url:
                smoke(image, database_url)
    say(f"passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
