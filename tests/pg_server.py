"""A throwaway PostgreSQL server, started by the tests and the benchmarks themselves.

The shared store is tested against a real server, not a fake: `running_postgres()` runs
`initdb` into a fresh directory and starts `postgres` on a free loopback port, tuned for
speed over durability (fsync, synchronous_commit and full_page_writes off: a test server).
The role `leadsync` logs in over TCP with a password (scram-sha-256), so the store's
password handling is really exercised; the superuser `postgres` is trusted on the unix
socket only, for creating and dropping databases.

No postmaster is left behind, however the process that started it ends:
- a normal end (the `with` block, or the interpreter's exit: atexit) sends SIGQUIT, the
  server's immediate shutdown, and removes its directory;
- a SIGKILLed or crashed parent: the postmaster is started through `setpriv
  --pdeathsig QUIT`, so the kernel sends it that same SIGQUIT the moment its parent dies
  (the parent is the *thread* that started it: start it from the main thread);
- and should both miss (no setpriv): every server lives in
  `/dev/shm/leadsync-pg-<uid>/<owner pid>-<random>/`; each start first removes the
  directories whose owner is gone, after stopping the postmaster its `postmaster.pid`
  names (if that process still runs on that directory).

As root (CI, this machine), `initdb` refuses to run: the server's programs then run as the
`postgres` system user that Debian's package creates, owning the server's directory.

Outside pytest (`benchmarks/fanout.py`)::

    with running_postgres() as server:
        url = server.create_database("fanout")
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

ROLE = "leadsync"
"""The role the store logs in as (password, over TCP)."""

SUPERUSER = "postgres"

MISSING = (
    "PostgreSQL server binaries not found: install Debian's postgresql (make postgres), "
    "or put a server's bin/ (initdb, postgres) where `pg_config --bindir` says: "
    "the tests of the PostgreSQL store did NOT run"
)
"""The skip reason; pytest's summary counts the tests skipped with it."""

_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # A test server: nothing here has to survive a crash of the machine.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Three engines of a team, each with a pool, plus listeners and the admin connection.
    "max_connections": "200",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
    "logging_collector": "off",
}
_SHM_NEEDED = 1 << 30
"""Free bytes /dev/shm must have to hold the servers (40 MB each, 8 MB a database)."""
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


class PostgresUnavailable(RuntimeError):
    """No server can be started here: the binaries (or, as root, the user) are missing."""


BINDIR_VARIABLE = "LEADSYNC_TEST_PG_BINDIR"
"""Set, it names the one bin/ to use (another version; or none, to see the skip)."""


def find_bindir() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` (Debian), else `pg_config --bindir`;
    None when neither holds `initdb` and `postgres`."""

    def usable(bindir: Path) -> bool:
        return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "postgres"))

    chosen = os.environ.get(BINDIR_VARIABLE)
    if chosen is not None:
        return Path(chosen) if chosen and usable(Path(chosen)) else None

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for bindir in debian:
        if usable(bindir):
            return bindir
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        out = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out and usable(Path(out)) else None


@dataclass
class PostgresServer:
    """A running server: where to reach it, and databases made and dropped on demand."""

    port: int
    socket_dir: Path
    password: str = field(repr=False)
    started_in: float
    """Seconds from `initdb` to accepting connections (for the report)."""
    _admin: psycopg.Connection[TupleRow] = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def admin_dsn(self) -> str:
        """The superuser over the unix socket (trusted there, and only there)."""
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname=postgres"

    def url_for(self, dbname: str) -> str:
        """`postgresql://leadsync:<password>@127.0.0.1:<port>/<dbname>`, quoted."""
        password = quote(self.password, safe="")
        return f"postgresql://{ROLE}:{password}@127.0.0.1:{self.port}/{quote(dbname, safe='')}"

    def create_database(self, name: str) -> str:
        """A new empty database owned by `leadsync`; its URL. template0 is copied file by
        file (one checkpoint, cheap with fsync off) instead of through the WAL."""
        statement = sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 STRATEGY {}")
        with self._lock:
            self._admin.execute(
                statement.format(sql.Identifier(name), sql.Identifier(ROLE), sql.SQL("FILE_COPY"))
            )
        return self.url_for(name)

    def refuse_connections(self, name: str, refuse: bool = True) -> None:
        """An outage of one database, as its clients meet a restart: every session on
        it ended and new ones refused ("not currently accepting connections"), until
        called again with `refuse=False`."""
        allow = sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
            sql.Identifier(name), sql.SQL("false" if refuse else "true")
        )
        with self._lock:
            self._admin.execute(allow)
            if refuse:
                self._admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )

    def drop_database(self, name: str) -> None:
        """Drop it, ending whatever sessions a test left connected to it."""
        with self._lock:
            self._admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway server; stop it and remove its files when the block ends."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(MISSING)
    runner = _Runner.for_this_process()
    remove_stale_servers()
    home = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=_base_dir()))
    process: subprocess.Popen[bytes] | None = None

    def stop() -> None:
        if process is not None:
            _stop(process)
        shutil.rmtree(home, ignore_errors=True)

    atexit.register(stop)
    try:
        began = time.monotonic()
        runner.own(home)
        password = secrets.token_urlsafe(18) + "/@:%"  # characters a URL has to quote
        _initdb(bindir, home, runner)
        process, port = _start(bindir, home, runner)
        admin = psycopg.connect(
            host=str(home / "sock"), port=port, user=SUPERUSER, dbname="postgres",
            autocommit=True, sslmode="disable",
        )  # fmt: skip
        with admin:
            admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(ROLE), sql.Literal(password)
                )
            )
            yield PostgresServer(
                port=port,
                socket_dir=home / "sock",
                password=password,
                started_in=time.monotonic() - began,
                _admin=admin,
            )
    finally:
        stop()
        atexit.unregister(stop)


@dataclass(frozen=True)
class _Runner:
    """How the server's programs are run: as ourselves, or (as root) as `postgres`."""

    prefix: tuple[str, ...]
    uid: int | None

    @staticmethod
    def for_this_process() -> _Runner:
        if os.geteuid() != 0:
            return _Runner(prefix=(), uid=None)
        try:
            user = pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresUnavailable(
                "PostgreSQL server cannot start as root without the `postgres` system user "
                "(initdb refuses root; Debian's postgresql package makes that user)"
            ) from None
        if shutil.which("setpriv") is None:
            raise PostgresUnavailable(
                "PostgreSQL server cannot start as root without setpriv (util-linux)"
            )
        prefix = ("setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups")
        return _Runner(prefix=(*prefix, "--"), uid=user.pw_uid)

    def own(self, path: Path) -> None:
        if self.uid is not None:
            os.chown(path, self.uid, -1)

    def command(self, *args: str, die_with_parent: bool = False) -> list[str]:
        """`args` as the server's user; `die_with_parent`: SIGQUIT when we die. Not from
        another thread: the kernel would send it when that thread ends."""
        on_main = threading.current_thread() is threading.main_thread()
        if die_with_parent and on_main and shutil.which("setpriv") is not None:
            # One setpriv: the signal is set after the user change (which clears it).
            guard = (*(self.prefix[:-1] or ("setpriv",)), "--pdeathsig", "QUIT", "--")
            return [*guard, *args]
        return [*self.prefix, *args]


def _base_dir() -> Path:
    """`/dev/shm/leadsync-pg-<uid>` (else under $TMPDIR): one known place to find the
    servers a dead run left. In memory: on ext4 a CREATE DATABASE right after a DROP
    spends ~0.25 CPU-seconds in the kernel finding inodes for its files; on tmpfs, ~0.02."""
    shm = Path("/dev/shm")
    in_memory = shm.is_dir() and os.access(shm, os.W_OK | os.X_OK)
    if in_memory:
        stats = os.statvfs(shm)
        in_memory = stats.f_bavail * stats.f_frsize > _SHM_NEEDED
    parent = shm if in_memory else Path(tempfile.gettempdir())
    base = parent / f"leadsync-pg-{os.geteuid()}"
    base.mkdir(exist_ok=True)
    if base.is_symlink() or base.stat().st_uid != os.geteuid():
        raise RuntimeError(f"{base} is not a directory of this user's: remove it")
    base.chmod(0o711)  # the `postgres` user (we are root) passes through to its own
    return base


def _clean_env() -> dict[str, str]:
    """Our environment without libpq's PG* variables (a developer's PGDATA, PGPORT...)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _initdb(bindir: Path, home: Path, runner: _Runner) -> None:
    args = [
        str(bindir / "initdb"), "-D", str(home / "data"), "-U", SUPERUSER,
        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
        "--locale=C.UTF-8", "--no-sync", "--no-instructions",
    ]  # fmt: skip
    done = subprocess.run(
        runner.command(*args), capture_output=True, text=True, env=_clean_env(), cwd=home,
        timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    # The superuser only on the socket; every TCP login (the store's) with its password.
    (home / "data" / "pg_hba.conf").write_text(
        f"local all {SUPERUSER} trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
    )
    (home / "sock").mkdir()
    runner.own(home / "sock")


def _start(bindir: Path, home: Path, runner: _Runner) -> tuple[subprocess.Popen[bytes], int]:
    """Start the postmaster on a free port (another, should one be taken meanwhile)."""
    for _attempt in range(5):
        port = _free_port()
        settings = [f"-c{name}={value}" for name, value in _SETTINGS.items()]
        args = [str(bindir / "postgres"), "-D", str(home / "data"), "-p", str(port)]
        args += ["-k", str(home / "sock"), *settings]
        with open(home / "server.log", "ab") as log:
            process = subprocess.Popen(
                runner.command(*args, die_with_parent=True),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=_clean_env(), cwd=home, start_new_session=True,
            )  # fmt: skip
        if _wait_ready(process, home / "data" / "postmaster.pid"):
            return process, port
        log_text = (home / "server.log").read_text(errors="replace")
        if "could not bind" not in log_text:
            raise RuntimeError(f"PostgreSQL did not start:\n{log_text[-3000:]}")
    raise RuntimeError("PostgreSQL did not start: no free port after 5 tries")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(process: subprocess.Popen[bytes], pid_file: Path) -> bool:
    """True once the postmaster says `ready` (line 8 of postmaster.pid); False if it
    exited first (the caller reads why). A hang is stopped after `_START_TIMEOUT`."""
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            lines = pid_file.read_text().splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return True
        time.sleep(0.02)
    _stop(process)
    raise RuntimeError(f"PostgreSQL was not ready after {_START_TIMEOUT:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Immediate shutdown (what `pg_ctl stop -m immediate` sends), then SIGKILL."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGQUIT)
    try:
        process.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def remove_stale_servers() -> None:
    """Remove the servers of runs that are gone (see the module's docstring)."""
    for home in _base_dir().iterdir():
        owner = home.name.partition("-")[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            postmaster = int((home / "data" / "postmaster.pid").read_text().split()[0])
            _kill_postmaster(postmaster, home)
        shutil.rmtree(home, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_postmaster(pid: int, home: Path) -> None:
    """SIGQUIT, then SIGKILL, the postmaster `pid` if it is still the one of `home`."""
    for sig in (signal.SIGQUIT, signal.SIGKILL):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return
        if str(home).encode() not in cmdline:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
