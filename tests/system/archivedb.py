"""The databases the archive tests (and bench/archive_ingest.sh) write to.

PostgreSQL: a private cluster of Debian's PostgreSQL 15 in a temporary directory, made
with initdb and started with pg_ctl as an unprivileged user (nobody), listening only on
a Unix socket in that directory, removed afterwards. SQLite: a file in a temporary
directory."""
import os
import pwd
import shutil
import subprocess
import tempfile

PG_BIN = "/usr/lib/postgresql/15/bin"


class PgCluster:
    def __init__(self, user="nobody", port=54329, settings=()):
        self.user, self.port, self.settings = user, port, list(settings)
        self.dir = None

    def __enter__(self):
        pw = pwd.getpwnam(self.user)
        self.dir = tempfile.mkdtemp(prefix="pmu-pg-")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.data = os.path.join(self.dir, "data")
        self._as_user([f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "pmu", "-E", "UTF8",
                       "--no-locale", "--no-sync"])
        self.start()
        return self

    def _as_user(self, args, check=True):
        r = subprocess.run(["runuser", "-u", self.user, "--", *args], capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def start(self):
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.dir}' -p {self.port}"
        for s in self.settings:
            options += f" -c {s}"
        self._as_user([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-o", options,
                       "-w", "-t", "60", "start"])

    def stop(self):
        self._as_user([f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"], check=False)

    def database(self, name):
        """A new, empty database of the cluster; returns its URL."""
        self.psql(f"CREATE DATABASE {name}")
        self.db = name
        return self.url

    db = "postgres"

    @property
    def url(self):
        return f"postgresql://pmu@/{self.db}?host={self.dir}&port={self.port}"

    def psql(self, sql):
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-h", self.dir, "-p", str(self.port), "-U", "pmu",
                            "-d", self.db, "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr}")
        return r.stdout.strip()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SqliteFile:
    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="pmu-sqlite-")
        self.file = os.path.join(self.dir, "archive.db")
        return self

    def database(self, name):
        self.file = os.path.join(self.dir, f"{name}.db")
        return self.url

    @property
    def url(self):
        return f"sqlite:{self.file}"

    def psql(self, sql):  # the same question, asked of sqlite3
        r = subprocess.run(["sqlite3", "-batch", self.file, sql], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError(f"sqlite3: {r.stderr}")
        return r.stdout.strip()

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
