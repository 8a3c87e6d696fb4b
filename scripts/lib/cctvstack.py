#!/usr/bin/python3
"""Runs the whole site on loopback: cctv-worker, cctv-index, cctv-playlist, cctv-api,
cctv-export and nginx.

Used by tests/integration and bench/ (stdlib only). Everything lives under one work
directory; ports are chosen at run time; stop() always stops what start() started.

    with Stack(work_dir, config_path, build_dir) as stack:
        status, headers, body = stack.get("/playlist.m3u8?date=2026-11-20")
"""
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cctvsite  # noqa: E402

NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")


_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)


def free_port():
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what, process=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError("%s: exited with %s before it was ready%s"
                               % (what, process.returncode, tail(log)))
        time.sleep(0.02)
    raise RuntimeError("%s: not ready after %ss%s" % (what, timeout, tail(log)))


def tail(path, lines=30):
    if not path or not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        text = f.readlines()[-lines:]
    return "\n--- %s ---\n%s" % (path, "".join(text))


def unix_socket_ready(path):
    if not os.path.exists(path):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(path)
            return True
        except OSError:
            return False


def tcp_ready(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Stack:
    """The programs of one site. `worker`: run the cctv-worker daemon too; `programs`:
    start cctv-index and cctv-playlist (without them nginx answers 502 for those);
    `web=False`: no nginx and no FastCGI programs (the worker alone)."""

    def __init__(self, work_dir, config, build_dir, upload_users=(), worker=False,
                 nginx_workers=1, env=None, programs=True, webroot=None, playlist_cache=True,
                 web=True):
        self.work_dir = os.path.abspath(work_dir)
        self.config = os.path.abspath(config)
        self.build_dir = os.path.abspath(build_dir)
        self.bin_dir = os.path.join(self.build_dir, "bin")
        self.webroot = os.path.abspath(webroot or os.path.join(self.build_dir, "webroot"))
        self.playlist_cache = playlist_cache
        self.runtime = os.path.join(self.work_dir, "run")
        self.upload_users = list(upload_users)
        self.worker = worker
        self.programs = programs and web
        self.web = web
        self.worker_proc = None
        self.nginx_workers = nginx_workers
        self.env = dict(os.environ, **(env or {}))
        self.port = None
        self.procs = []  # (name, Popen, log path)

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def log_path(self, name):
        return os.path.join(self.runtime, "logs", name + ".log")

    def spawn(self, name, argv):
        log = self.log_path(name)
        out = open(log, "ab")
        # If this process dies without stop() (a ctest timeout kills it), the kernel stops
        # the servers too: nginx and the worker with SIGTERM, the FastCGI programs (which
        # libfcgi lets ignore SIGTERM) with SIGKILL.
        death = signal.SIGTERM if name in ("nginx", "cctv-worker") else signal.SIGKILL
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                env=self.env, start_new_session=True,
                                preexec_fn=lambda: _die_with_parent(death))
        out.close()
        self.procs.append((name, proc, log))
        return proc, log

    def start(self):
        os.makedirs(os.path.join(self.runtime, "logs"), exist_ok=True)
        self.index_socket = os.path.join(self.runtime, "index.sock")
        self.playlist_socket = os.path.join(self.runtime, "playlist.sock")
        self.api_socket = os.path.join(self.runtime, "api.sock")  # cctvsite's default
        self.export_socket = os.path.join(self.runtime, "export.sock")  # cctvsite's default
        if self.worker:
            self.start_worker()
        programs = [("cctv-index", self.index_socket), ("cctv-playlist", self.playlist_socket)]
        if os.access(os.path.join(self.bin_dir, "cctv-api"), os.X_OK):
            programs.append(("cctv-api", self.api_socket))
        if os.access(os.path.join(self.bin_dir, "cctv-export"), os.X_OK):
            programs.append(("cctv-export", self.export_socket))
        for name, sock in programs if self.programs else ():
            if os.path.exists(sock):
                os.unlink(sock)
            proc, log = self.spawn(name, [os.path.join(self.bin_dir, name), "--config",
                                          self.config, "--listen", sock])
            wait_until(lambda s=sock: unix_socket_ready(s), 10, name, proc, log)
        if self.web:
            self.start_nginx()

    def start_worker(self):
        """Starts the worker daemon (again, after it was stopped or killed: its log grows)."""
        os.makedirs(os.path.join(self.runtime, "logs"), exist_ok=True)
        proc, log = self.spawn("cctv-worker", [os.path.join(self.bin_dir, "cctv-worker"),
                                               "--config", self.config])
        catalog = cctvsite.config_value(cctvsite.load_config(self.config), "catalogPath")
        wait_until(lambda: os.path.exists(catalog), 20, "cctv-worker", proc, log)
        self.worker_proc = proc

    def start_nginx(self):
        for attempt in range(5):
            self.port = free_port()
            conf = cctvsite.generate_nginx(
                self.config, self.runtime, "127.0.0.1:%d" % self.port, self.webroot,
                self.index_socket, self.playlist_socket, self.upload_users,
                workers=str(self.nginx_workers), playlist_cache=self.playlist_cache)
            error_log = os.path.join(self.runtime, "logs", "error.log")
            proc, log = self.spawn("nginx", [NGINX, "-p", self.runtime, "-c", conf, "-e", error_log])
            try:
                wait_until(lambda: tcp_ready(self.port), 10, "nginx", proc, error_log)
                return
            except RuntimeError:
                self.stop_one("nginx")
                if attempt == 4 or "Address already in use" not in tail(error_log, 5):
                    raise

    def stop_one(self, name):
        for entry in [p for p in self.procs if p[0] == name]:
            self._stop(*entry[:2])
            self.procs.remove(entry)

    @staticmethod
    def _stop(name, proc):
        if proc.poll() is not None:
            return
        # SIGTERM: nginx stops at once, the worker finishes what it writes. libfcgi catches
        # SIGTERM in the FastCGI programs and only stops after one more request, so they
        # get a short grace period and then SIGKILL (they hold no state).
        grace = 10 if name in ("nginx", "cctv-worker") else 1
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def stop(self):
        for name, proc, _ in reversed(self.procs):
            self._stop(name, proc)
        self.procs = []

    def logs(self):
        """The last lines of every log, for a failure message."""
        names = [p[2] for p in self.procs] + [os.path.join(self.runtime, "logs", "error.log")]
        return "".join(tail(n) for n in names)

    # -- HTTP ------------------------------------------------------------------------
    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, headers=None, body=None):
        """(status, headers as a dict of lower-case names -> value, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {}
            for k, v in resp.getheaders():
                k = k.lower()
                hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
            return resp.status, hdrs, data
        finally:
            conn.close()

    def get(self, path, headers=None):
        return self.request("GET", path, headers)
