"""Integration test harness: real FFmpeg segments, a real catalog, real nginx.

- fixture_segments(): 13 MPEG-TS segments (640x360, 5 fps, 2-4 s each, 40 s in all),
  encoded once per test process, with their real durations and frame counts (ffprobe).
- ArchiveBuilder: lays them out as day directories (hard links) in either layout.
- SiteTestCase: per test class a temp dir, an archive, a config, `cctv-worker --reindex`
  (or the daemon), and the programs + nginx on a free port; always stopped.
  MultiSiteTestCase / LegacySiteTestCase: the same on the archive of either layout.
- WorkerTestCase: per test a temp dir, an empty archive and the catalog and config paths,
  helpers to run cctv-worker and to start the daemon and/or the site; always stopped.
- parse_playlist / check_playlist: a small HLS (RFC 8216) validator for test assertions.
- FakeCam: the RTSP camera simulator (tests/peers/fakecam.py) on a free loopback port.
- S3Server, S3TestCase: @20minutes/s3rver (tests/peers/s3server.js) on a free loopback
  port, per test class, and rclone to read back what is in it.

The build dir comes from $CCTV_BUILD_DIR (set by ctest), else <repo>/build.
"""
import datetime as dt
import math
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
import cctvsite  # noqa: E402
from cctvstack import Stack, _die_with_parent, tail  # noqa: E402

BUILD_DIR = os.path.abspath(os.environ.get("CCTV_BUILD_DIR", os.path.join(REPO, "build")))
BIN = os.path.join(BUILD_DIR, "bin")
WORKER = os.path.join(BIN, "cctv-worker")
KEEP = os.environ.get("CCTV_KEEP_TEST_DIR") == "1"

# Segment boundaries (seconds) of the 40 s fixture recording: 13 segments of 2-4 s.
CUTS = [2, 5, 9, 12, 16, 18, 21, 25, 28, 30, 34, 37]
FIXTURE_SECONDS = 40
STARTS = [0] + CUTS


def have_binaries(*names):
    return all(os.access(os.path.join(BIN, n), os.X_OK) for n in names)


def require_binaries(*names):
    missing = [n for n in names if not os.access(os.path.join(BIN, n), os.X_OK)]
    if missing:
        raise unittest.SkipTest("not built yet: %s (in %s)" % (", ".join(missing), BIN))


def run(argv, timeout=120, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def remove_work_dir(path):
    """Removes a test's temp dir, or keeps it (and says where) with CCTV_KEEP_TEST_DIR=1."""
    if KEEP:
        print("\nkept %s" % path, file=sys.stderr)
    else:
        shutil.rmtree(path, ignore_errors=True)


# ---- fixtures ---------------------------------------------------------------------------
class Segment:
    def __init__(self, path, start_s, duration, frames):
        self.path = path
        self.start_s = start_s  # nominal start within the fixture recording
        self.duration = duration  # ffprobe format duration
        self.frames = frames  # video packets

    def __repr__(self):
        return "Segment(%s, %.3f s, %d frames)" % (os.path.basename(self.path), self.duration,
                                                   self.frames)


def probe_duration(path):
    out = run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
               path], check=True).stdout
    return float(out.split()[0])


def probe_frames(path):
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
               "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path],
              check=True).stdout
    return int(out.split()[0])  # MPEG-TS lists the stream under its program too


_FIXTURES = {}


def fixture_segments():
    """The 13 fixture segments, encoded once per process."""
    if "segments" in _FIXTURES:
        return _FIXTURES["segments"]
    base = tempfile.mkdtemp(prefix="cctv-fixtures-")
    _FIXTURES["dir"] = base
    pattern = os.path.join(base, "seg_%02d.ts")
    res = run(["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi",
               "-i", "testsrc2=size=640x360:rate=5", "-t", str(FIXTURE_SECONDS),
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
               "-g", "5", "-keyint_min", "5", "-sc_threshold", "0",
               "-force_key_frames", "expr:gte(t,n_forced)",
               "-f", "segment", "-segment_format", "mpegts",
               "-segment_times", ",".join(str(c) for c in CUTS), pattern])
    if res.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError("ffmpeg could not make fixtures: " + res.stderr)
    segs = []
    for i, start in enumerate(STARTS):
        path = pattern % i
        segs.append(Segment(path, start, probe_duration(path), probe_frames(path)))
    # Old files: the worker settles a past day only when its files are quiet.
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)).timestamp()
    for s in segs:
        os.utime(s.path, (old, old))
    _FIXTURES["segments"] = segs
    return segs


def cleanup_fixtures():
    if "dir" in _FIXTURES and not KEEP:
        shutil.rmtree(_FIXTURES["dir"], ignore_errors=True)


def today_utc():
    return dt.datetime.now(dt.timezone.utc).date()


def day(offset):
    """YYYY-MM-DD of today (UTC) + offset days."""
    return (today_utc() + dt.timedelta(days=offset)).isoformat()


def hhmmss(seconds):
    return "%02d%02d%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


class Placed:
    """One segment as laid out in the archive."""

    def __init__(self, camdir, date, name, seg):
        self.camdir, self.date, self.name, self.seg = camdir, date, name, seg

    @property
    def uri(self):
        return "/" + "/".join(p for p in (self.camdir, self.date, self.name) if p)

    @property
    def start(self):
        t = dt.datetime.strptime(self.date + self.name[6:12], "%Y-%m-%d%H%M%S")
        return t.replace(tzinfo=dt.timezone.utc)


class ArchiveBuilder:
    def __init__(self, root):
        self.root = root
        self.placed = []  # every segment, in placement order
        os.makedirs(root, exist_ok=True)

    def run(self, camdir, date, start, first=0, count=13):
        """Places fixture segments first..first+count-1 as one continuous run starting at
        `start` ("HHMMSS"); returns the Placed list."""
        segs = fixture_segments()
        base = int(start[0:2]) * 3600 + int(start[2:4]) * 60 + int(start[4:6])
        d = os.path.join(self.root, camdir, date) if camdir else os.path.join(self.root, date)
        os.makedirs(d, exist_ok=True)
        out = []
        for s in segs[first:first + count]:
            name = "video_%s.ts" % hhmmss(base + s.start_s - segs[first].start_s)
            dst = os.path.join(d, name)
            try:
                os.link(s.path, dst)
            except OSError:
                shutil.copy2(s.path, dst)
            p = Placed(camdir, date, name, s)
            out.append(p)
            self.placed.append(p)
        return out

    def day_segments(self, camdir, date):
        return sorted((p for p in self.placed if p.camdir == camdir and p.date == date),
                      key=lambda p: p.name)

    def write_file(self, rel, data=b"x\n"):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path


def expected_breaks(placed):
    """Indexes i (into `placed`, in time order) where segment i starts after a gap."""
    out = []
    for i in range(1, len(placed)):
        prev, cur = placed[i - 1], placed[i]
        end = prev.start + dt.timedelta(seconds=prev.seg.duration)
        if (cur.start - end).total_seconds() > 1.5 or (end - cur.start).total_seconds() > 1.5:
            out.append(i)
    return out


# ---- HLS --------------------------------------------------------------------------------
class Playlist:
    def __init__(self, text):
        self.text = text
        self.lines = [l for l in text.splitlines() if l.strip()]
        self.tags = {}  # name -> [values]
        self.segments = []  # dicts: uri, duration, pdt, discontinuity
        self.skipped = 0
        pending = {"pdt": None, "discontinuity": False}
        duration = None
        for line in self.lines:
            if line.startswith("#EXT"):
                name, _, value = line.partition(":")
                self.tags.setdefault(name, []).append(value)
                if name == "#EXTINF":
                    duration = float(value.split(",")[0])
                elif name == "#EXT-X-PROGRAM-DATE-TIME":
                    pending["pdt"] = value
                elif name == "#EXT-X-DISCONTINUITY":
                    pending["discontinuity"] = True
                elif name == "#EXT-X-SKIP":
                    m = re.search(r"SKIPPED-SEGMENTS=(\d+)", value)
                    self.skipped = int(m.group(1)) if m else -1
            elif not line.startswith("#"):
                self.segments.append({"uri": line, "duration": duration, **pending})
                pending = {"pdt": None, "discontinuity": False}
                duration = None

    def tag(self, name):
        values = self.tags.get(name, [])
        return values[0] if values else None

    @property
    def media_sequence(self):
        v = self.tag("#EXT-X-MEDIA-SEQUENCE")
        return int(v) if v is not None else 0

    @property
    def uris(self):
        return [s["uri"] for s in self.segments]

    @property
    def total(self):
        return sum(s["duration"] for s in self.segments)


def parse_pdt(value):
    v = value.replace("Z", "+00:00")
    return dt.datetime.fromisoformat(v)


def check_playlist(pl, closed, placed=None, event=None):
    """RFC 8216 rules plus this project's: returns a list of problems (empty = valid).
    `placed`: the segments expected, in order (those after an EXT-X-SKIP only)."""
    problems = []
    if not pl.lines or pl.lines[0] != "#EXTM3U":
        problems.append("first line is not #EXTM3U")
    for t in ("#EXT-X-TARGETDURATION", "#EXT-X-VERSION", "#EXT-X-MEDIA-SEQUENCE",
              "#EXT-X-PLAYLIST-TYPE"):
        n = len(pl.tags.get(t, []))
        if n != 1:
            problems.append("%s appears %d times" % (t, n))
    ptype = pl.tag("#EXT-X-PLAYLIST-TYPE")
    want_type = "EVENT" if (event if event is not None else not closed) else "VOD"
    if ptype != want_type:
        problems.append("PLAYLIST-TYPE %s, expected %s" % (ptype, want_type))
    has_end = "#EXT-X-ENDLIST" in pl.tags
    if has_end != closed:
        problems.append("ENDLIST %s for a %s day" % ("present" if has_end else "missing",
                                                     "closed" if closed else "open"))
    if has_end and pl.lines[-1] != "#EXT-X-ENDLIST":
        problems.append("ENDLIST is not the last line")
    try:
        target = int(pl.tag("#EXT-X-TARGETDURATION") or "x")
    except ValueError:
        problems.append("TARGETDURATION is not an integer: %r" % pl.tag("#EXT-X-TARGETDURATION"))
        target = None
    if not pl.segments:
        problems.append("no segments")
    for i, s in enumerate(pl.segments):
        if s["duration"] is None or s["duration"] <= 0:
            problems.append("segment %d has no positive EXTINF" % i)
            continue
        if not re.fullmatch(r"\d+\.\d{3}", _extinf_text(pl, i)):
            problems.append("EXTINF %r of segment %d is not N.NNN" % (_extinf_text(pl, i), i))
        if target is not None and (round(s["duration"]) > target or
                                   math.ceil(round(s["duration"], 3)) > target):
            problems.append("EXTINF %.3f of segment %d exceeds TARGETDURATION %d"
                            % (s["duration"], i, target))
    if pl.segments and pl.segments[0]["pdt"] is None:
        problems.append("no PROGRAM-DATE-TIME before the first segment")
    for i, s in enumerate(pl.segments):
        if s["discontinuity"] and s["pdt"] is None:
            problems.append("no PROGRAM-DATE-TIME after the DISCONTINUITY before segment %d" % i)
        if s["pdt"] is not None:
            try:
                parse_pdt(s["pdt"])
            except ValueError:
                problems.append("bad PROGRAM-DATE-TIME %r" % s["pdt"])
    if pl.skipped:
        sc = pl.tag("#EXT-X-SERVER-CONTROL") or ""
        if "CAN-SKIP-UNTIL" not in sc:
            problems.append("EXT-X-SKIP without SERVER-CONTROL CAN-SKIP-UNTIL")
        if int(pl.tag("#EXT-X-VERSION") or 0) < 9:
            problems.append("EXT-X-SKIP needs EXT-X-VERSION 9")
    if placed is not None:
        if pl.uris != [p.uri for p in placed]:
            problems.append("segment URIs differ from the archive:\n  got  %s\n  want %s"
                            % (pl.uris, [p.uri for p in placed]))
        else:
            breaks = expected_breaks(placed)
            got = [i for i, s in enumerate(pl.segments) if s["discontinuity"]]
            if got != breaks:
                problems.append("DISCONTINUITY before segments %s, expected %s" % (got, breaks))
            for i, (s, p) in enumerate(zip(pl.segments, placed)):
                if abs(s["duration"] - p.seg.duration) > 0.06:
                    problems.append("EXTINF %.3f of %s, the file lasts %.3f"
                                    % (s["duration"], p.uri, p.seg.duration))
                if s["pdt"] is not None:
                    when = parse_pdt(s["pdt"])
                    if abs((when - p.start).total_seconds()) > 0.001:
                        problems.append("PROGRAM-DATE-TIME %s for %s" % (s["pdt"], p.uri))
                elif i in breaks or i == 0:
                    pass  # reported above
    return problems


def _extinf_text(pl, index):
    n = -1
    value = None
    for line in pl.lines:
        if line.startswith("#EXTINF:"):
            value = line[len("#EXTINF:"):].split(",")[0]
        elif not line.startswith("#"):
            n += 1
            if n == index:
                return value
    return ""


# ---- the site ---------------------------------------------------------------------------
class SiteTestCase(unittest.TestCase):
    """Per class: an archive built by `build_archive`, a config, a catalog, a running site.

    Subclasses define build_archive (or take MultiSiteTestCase / LegacySiteTestCase), and
    may set CAMERAS, EXTRA_CONFIG (config keys), WORKER_DAEMON, UPLOAD_USERS, NEEDS
    ("cctv-index", ...) and site_started. self.site is the cctvstack.Stack."""
    LAYOUT = "multi"
    WORKER_DAEMON = False
    UPLOAD_USERS = ()
    NEEDS = ("cctv-index", "cctv-playlist", "cctv-worker")
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_binaries(*cls.NEEDS)
        cls.work = tempfile.mkdtemp(prefix="cctv-it-")
        cls.site = None
        try:
            cls.root = os.path.join(cls.work, "archive")
            cls.archive = ArchiveBuilder(cls.root)
            cls.build_archive()
            cls.config_path = os.path.join(cls.work, "config.json")
            cls.catalog = os.path.join(cls.work, "var", "catalog.sqlite")
            extra = dict(getattr(cls, "EXTRA_CONFIG", None) or {})
            if getattr(cls, "CAMERAS", None):
                extra["cameras"] = cls.CAMERAS
            cctvsite.write_config(cls.config_path, cls.root, cls.catalog, "Test archive", extra)
            if not cls.WORKER_DAEMON and have_binaries("cctv-worker"):
                res = run([os.path.join(BIN, "cctv-worker"), "--config", cls.config_path,
                           "--reindex"])
                if res.returncode != 0:
                    raise RuntimeError("cctv-worker --reindex failed (%d): %s"
                                       % (res.returncode, res.stderr))
            cls.site = Stack(cls.work, cls.config_path, BUILD_DIR, cls.UPLOAD_USERS,
                             worker=cls.WORKER_DAEMON,
                             programs=have_binaries("cctv-index", "cctv-playlist"))
            cls.site.start()
            cls.site_started()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.site is not None:
            cls.site.stop()
        remove_work_dir(cls.work)

    @classmethod
    def build_archive(cls):
        raise NotImplementedError

    @classmethod
    def site_started(cls):
        """Runs once the site is up, before the tests (its failure stops the site): e.g.
        wait_until what the worker daemon makes first."""

    @classmethod
    def wait_until(cls, ready, timeout, what):
        """Polls `ready()` until it is true; else a RuntimeError that names `what` was
        waited for (a string, or a function giving one at that time), with the site's
        logs. Gives up at once if the worker daemon exits."""
        deadline = time.monotonic() + timeout
        while not ready():
            worker = cls.site.worker_proc
            exited = worker is not None and worker.poll() is not None
            if exited or time.monotonic() > deadline:
                what = what() if callable(what) else what
                why = ("the worker exited (%s) while waiting for" % worker.returncode if exited
                       else "waited %s s for" % timeout)
                raise RuntimeError("%s %s%s" % (why, what, cls.site.logs()))
            time.sleep(0.1)

    # -- helpers -----------------------------------------------------------------------
    def get(self, path, headers=None, method="GET"):
        return self.site.request(method, path, headers)

    def assertStatus(self, path, status, headers=None, method="GET"):
        code, hdrs, body = self.get(path, headers, method)
        self.assertEqual(code, status, "%s %s answered %d: %r%s"
                         % (method, path, code, body[:300], self.site.logs() if code >= 500 else ""))
        return hdrs, body

    def assertOneLine(self, path, statuses, method="GET"):
        """A refusal: one of `statuses`, a short plain-text reason on one line."""
        code, hdrs, body = self.get(path, method=method)
        self.assertIn(code, statuses, "%s answered %d: %r" % (path[:120], code, body[:200]))
        self.assertTrue(hdrs.get("content-type", "").startswith("text/plain"),
                        "%s: content-type %r" % (path[:120], hdrs.get("content-type")))
        text = body.decode("utf-8", "replace")
        if method != "HEAD":
            self.assertTrue(text.strip(), "%s: empty reason" % path[:120])
            self.assertEqual(text.strip().count("\n"), 0, "%s: reason on several lines: %r"
                             % (path[:120], text))
            self.assertLess(len(text), 300, "%s: reason too long" % path[:120])
        return code, text.strip()

    def playlist(self, path, headers=None):
        code, hdrs, body = self.get(path, headers)
        self.assertEqual(code, 200, "%s answered %d: %r" % (path, code, body[:300]))
        self.assertEqual(hdrs.get("content-type", "").split(";")[0],
                         "application/vnd.apple.mpegurl", path)
        return Playlist(body.decode("utf-8")), hdrs

    def assertValid(self, pl, closed, placed=None, event=None):
        problems = check_playlist(pl, closed, placed, event)
        self.assertEqual(problems, [], "\n".join(problems) + "\n--- playlist ---\n" + pl.text)


class WorkerTestCase(unittest.TestCase):
    """Per test: a temp dir with an empty archive (self.root; self.archive, an
    ArchiveBuilder on it), the paths of the catalog and of the config (self.catalog,
    self.config: the test writes the config), cctv-worker runs, and self.stack (the daemon
    and/or the site, started by the test); stopped and removed whatever happens."""
    WORK_PREFIX = "cctv-it-"
    NEEDS = ("cctv-worker",)
    maxDiff = None

    def setUp(self):
        require_binaries(*self.NEEDS)
        self.work = tempfile.mkdtemp(prefix=self.WORK_PREFIX)
        self.root = os.path.join(self.work, "archive")
        self.archive = ArchiveBuilder(self.root)
        self.catalog = os.path.join(self.work, "var", "catalog.sqlite")
        self.config = os.path.join(self.work, "config.json")
        self.stack = None
        self.addCleanup(self._stop_and_remove)

    def _stop_and_remove(self):
        if self.stack is not None:
            self.stack.stop()
        remove_work_dir(self.work)

    def worker(self, *args, timeout=300):
        """`cctv-worker --config CONFIG ARGS...` run to its end (a CompletedProcess)."""
        return run([WORKER, "--config", self.config] + list(args), timeout=timeout)

    def reindex(self):
        res = self.worker("--reindex")
        self.assertEqual(res.returncode, 0, "--reindex: " + res.stderr)
        return res

    def start_stack(self, worker=True, web=True):
        """Starts self.stack: the worker daemon (`worker`) and/or nginx with the FastCGI
        programs (`web`)."""
        self.stack = Stack(self.work, self.config, BUILD_DIR, worker=worker, web=web,
                           programs=have_binaries("cctv-index", "cctv-playlist"))
        self.stack.start()
        return self.stack

    def worker_log(self):
        """The daemon's log so far (all its starts)."""
        with open(self.stack.log_path("cctv-worker"), errors="replace") as f:
            return f.read()

    def day_dir(self, camdir, date):
        return os.path.join(self.root, camdir, date)

    def db(self):
        """The catalog, read-only; rows are sqlite3.Row."""
        con = sqlite3.connect("file:%s?mode=ro" % self.catalog, uri=True, timeout=10)
        con.row_factory = sqlite3.Row
        return con


def main():
    """unittest.main() that removes the fixtures at exit."""
    try:
        unittest.main(verbosity=2)
    finally:
        cleanup_fixtures()


# ---- the RTSP camera simulator ----------------------------------------------------------
FAKECAM = os.path.join(REPO, "tests", "peers", "fakecam.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's: python3-gi is not in a venv


def require_fakecam():
    """Skips (with the reason) when GStreamer's RTSP server is not installed."""
    if "fakecam" not in _FIXTURES:
        res = run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
                   "from gi.repository import GstRtspServer"], timeout=30)
        _FIXTURES["fakecam"] = res.returncode == 0
    if not _FIXTURES["fakecam"]:
        raise unittest.SkipTest("the RTSP camera simulator needs python3-gi and "
                                "gir1.2-gst-rtsp-server-1.0 (scripts/install-deps)")


class FakeCam:
    """tests/peers/fakecam.py as a context: start() on a free port (or the port of the
    previous start, for restarts), stop() with SIGTERM. It dies with the test process."""

    def __init__(self, work_dir, name, user=None, password="", auth="basic", fps=10,
                 size="320x180", gop=0, mount="/cam1", extra=()):
        self.dir = os.path.join(work_dir, "fakecam-" + name)
        os.makedirs(self.dir, exist_ok=True)
        self.name, self.user, self.password, self.auth = name, user, password, auth
        self.fps, self.size, self.mount, self.extra = fps, size, mount, list(extra)
        self.gop = gop or 2 * fps  # frames
        self.port = 0
        self.proc = None
        self.log = os.path.join(self.dir, "fakecam.log")

    @property
    def gop_seconds(self):
        return self.gop / self.fps

    def start(self, timeout=20):
        ready = os.path.join(self.dir, "ready")
        for attempt in range(20):
            if os.path.exists(ready):
                os.unlink(ready)
            argv = [SYSTEM_PYTHON, FAKECAM, "--port", str(self.port), "--mount", self.mount,
                    "--fps", str(self.fps), "--size", self.size, "--gop", str(self.gop),
                    "--log-clients", "--ready-file", ready] + self.extra
            if self.user:
                argv += ["--user", self.user, "--password", self.password, "--auth", self.auth]
            with open(self.log, "ab") as out:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                             stderr=out, start_new_session=True,
                                             preexec_fn=lambda: _die_with_parent(signal.SIGTERM))
            deadline = time.monotonic() + timeout
            while not os.path.exists(ready):
                if self.proc.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("fakecam %s: not ready after %ss%s"
                                       % (self.name, timeout, tail(self.log, 20)))
                time.sleep(0.02)
            if os.path.exists(ready):
                with open(ready) as f:
                    self.port = urllib.parse.urlsplit(f.read().strip()).port
                return self
            if self.proc.returncode != 3 or not self.port:  # 3: the port is taken
                raise RuntimeError("fakecam %s exited with %s%s"
                                   % (self.name, self.proc.returncode, tail(self.log, 20)))
            time.sleep(0.25)  # restarting on a port that is not free yet
        raise RuntimeError("fakecam %s: port %d stayed busy" % (self.name, self.port))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def url(self, user=None, password=None):
        """rtsp://[user:password@]127.0.0.1:PORT/mount, credentials percent-encoded."""
        auth = ""
        if user is not None:
            auth = urllib.parse.quote(user, safe="")
            if password is not None:
                auth += ":" + urllib.parse.quote(password, safe="")
            auth += "@"
        return "rtsp://%s127.0.0.1:%d%s" % (auth, self.port, self.mount)

    def connections(self):
        """Wall-clock times (time.time()) of every client connection so far."""
        out = []
        if os.path.exists(self.log):
            with open(self.log, errors="replace") as f:
                for line in f:
                    m = re.match(r"fakecam: (\d+\.\d+) client connected", line)
                    if m:
                        out.append(float(m.group(1)))
        return out


# ---- the S3 server ----------------------------------------------------------------------
# @20minutes/s3rver 5.0.0 via tests/peers/s3server.js (see ../shared/PEERS.md section 2):
# it verifies SigV4 with these credentials.
S3SERVER_JS = os.path.join(REPO, "tests", "peers", "s3server.js")
BUCKET = "cctv"
KEY_ID = "AKIDTEST"
SECRET = "s3cr3t/x+y"


def require_s3rver():
    """Skips (with the reason) without node or @20minutes/s3rver."""
    if shutil.which("node") is None:
        raise unittest.SkipTest("node is not installed (scripts/install-deps)")
    if not os.path.isdir(os.path.join(REPO, "node_modules", "@20minutes", "s3rver")):
        raise unittest.SkipTest("@20minutes/s3rver is not installed (npm ci)")


def env_without_aws():
    """os.environ without the AWS credential variables: only the config's count."""
    env = dict(os.environ)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(var, None)
    return env


class S3Server:
    """tests/peers/s3server.js on a loopback port; always stopped."""

    def __init__(self, work, port=0):
        self.data = os.path.join(work, "s3data")
        self.log = os.path.join(work, "s3server.log")
        self.port = port
        self.proc = None

    def start(self, timeout=30):
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [shutil.which("node"), S3SERVER_JS, self.data, str(self.port), BUCKET, KEY_ID,
                 SECRET],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=lambda: _die_with_parent(signal.SIGTERM))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log) as f:
                found = re.findall(r"S3rver listening on 127\.0\.0\.1:(\d+)", f.read())
            if len(found) > getattr(self, "_starts", 0):
                self._starts = len(found)
                self.port = int(found[-1])
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("s3server.js exited with %s%s"
                                   % (self.proc.returncode, tail(self.log)))
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("s3server.js not ready after %s s%s" % (timeout, tail(self.log)))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port


class S3TestCase(unittest.TestCase):
    """Per class: a temp dir (cls.work) and its own S3Server in it (cls.server), always
    stopped; rclone to read the server back. Subclasses may set NEEDS (built programs)."""
    WORK_PREFIX = "cctv-s3-"
    NEEDS = ()
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_s3rver()
        require_binaries(*cls.NEEDS)
        cls.work = tempfile.mkdtemp(prefix=cls.WORK_PREFIX)
        cls.server = S3Server(cls.work)
        try:
            cls.server.start()
        except BaseException:
            remove_work_dir(cls.work)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        remove_work_dir(cls.work)

    def rclone(self, *args, check=True):
        """rclone ARGS... with the remote `s3t:` on the server, configured from the
        environment only; its stdout (bytes). `check`: exit 0 asserted."""
        if shutil.which("rclone") is None:
            self.skipTest("rclone is not installed (scripts/install-deps)")
        env = dict(os.environ)
        env.pop("AWS_CA_BUNDLE", None)  # rclone 1.60 fails on it (PEERS.md)
        env.update({"RCLONE_CONFIG": "/dev/null", "RCLONE_CONFIG_S3T_TYPE": "s3",
                    "RCLONE_CONFIG_S3T_PROVIDER": "Other",
                    "RCLONE_CONFIG_S3T_ENDPOINT": self.server.endpoint,
                    "RCLONE_CONFIG_S3T_ACCESS_KEY_ID": KEY_ID,
                    "RCLONE_CONFIG_S3T_SECRET_ACCESS_KEY": SECRET,
                    "RCLONE_CONFIG_S3T_REGION": "us-east-1",
                    "RCLONE_CONFIG_S3T_FORCE_PATH_STYLE": "true",
                    "RCLONE_CONFIG_S3T_NO_CHECK_BUCKET": "true"})
        res = subprocess.run(["rclone"] + list(args), capture_output=True, timeout=120, env=env)
        if check:
            self.assertEqual(res.returncode, 0, res.stderr.decode(errors="replace"))
        return res.stdout


# ---- the two archive layouts used by the tests ------------------------------------------
# Multi-camera: "front" in ROOT/front, "back" in ROOT/cam2 (a directory that is not its name).
MULTI_CAMERAS = [{"cameraName": "front", "directory": "front", "timeZone": "UTC"},
                 {"cameraName": "back", "directory": "cam2", "timeZone": "UTC"}]


def build_multi(a):
    a.run("front", day(-3), "100000")          # 13 segments, 40 s
    a.run("front", day(-3), "100500", 0, 3)    # after a gap of about 4 minutes
    a.run("front", day(-2), "080000")
    a.run("front", day(-1), "120000")
    a.run("front", day(0), "000000", 0, 4)     # today: still recording
    a.run("cam2", day(-1), "120000", 0, 6)


# Legacy single-camera root (ROOT/YYYY-MM-DD/...), cameras discovered: one named "camera".
def build_legacy(a):
    a.run("", day(-3), "233000")
    a.run("", day(-2), "090000", 0, 6)
    a.run("", day(-2), "091000", 6, 7)         # a gap; the timestamps run on
    a.run("", day(-1), "000000")
    a.run("", day(0), "000000", 0, 3)


class MultiSiteTestCase(SiteTestCase):
    """SiteTestCase on the multi-camera archive of build_multi (MULTI_CAMERAS)."""
    LAYOUT = "multi"
    CAMERAS = MULTI_CAMERAS

    @classmethod
    def build_archive(cls):
        build_multi(cls.archive)


class LegacySiteTestCase(SiteTestCase):
    """SiteTestCase on the legacy single-camera archive of build_legacy."""
    LAYOUT = "legacy"

    @classmethod
    def build_archive(cls):
        build_legacy(cls.archive)


# ---- synthetic days and files (appended for tests/integration/test_convert.py) ----------
def synthetic_segments(count, seconds=10, size="320x180", fps=10):
    """`count` MPEG-TS segments of exactly `seconds` each (lavfi testsrc2, libx264
    ultrafast, no B-frames, a keyframe every 2 s and at each segment start), encoded
    once per process and size; files 10 days old. Returns Segment objects (start_s is
    the start within the recording)."""
    key = ("synthetic", size, fps, seconds)
    have = _FIXTURES.get(key)
    if have is not None and len(have) >= count:
        return have[:count]
    base = tempfile.mkdtemp(prefix="cctv-fixtures-syn-")
    if "extra_dirs" not in _FIXTURES:  # removed at exit, whichever main() the module has
        import atexit
        atexit.register(cleanup_extra_fixtures)
    _FIXTURES.setdefault("extra_dirs", []).append(base)
    pattern = os.path.join(base, "seg_%03d.ts")
    res = run(["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi",
               "-i", "testsrc2=size=%s:rate=%d" % (size, fps), "-t", str(count * seconds),
               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
               "-g", str(2 * fps), "-keyint_min", str(2 * fps), "-sc_threshold", "0",
               "-force_key_frames", "expr:gte(t,n_forced*%d)" % seconds,
               "-f", "segment", "-segment_format", "mpegts", "-segment_time", str(seconds),
               pattern], timeout=600)
    if res.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError("ffmpeg could not make synthetic segments: " + res.stderr)
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)).timestamp()
    segs = []
    for i in range(count):
        path = pattern % i
        segs.append(Segment(path, i * seconds, probe_duration(path), probe_frames(path)))
        os.utime(path, (old, old))
    _FIXTURES[key] = segs
    return segs


def lay_out(root, camdir, date, start, segs, copy=False):
    """Places `segs` (Segment objects, contiguous) as one run of `date` starting at
    `start` ("HHMMSS") in ROOT/camdir/date; hard links (keeping the fixtures' old
    mtimes) unless `copy` (fresh files, mtime now). Returns the Placed list."""
    base = int(start[0:2]) * 3600 + int(start[2:4]) * 60 + int(start[4:6])
    d = os.path.join(root, camdir, date) if camdir else os.path.join(root, date)
    os.makedirs(d, exist_ok=True)
    out = []
    for s in segs:
        name = "video_%s.ts" % hhmmss(base + round(s.start_s - segs[0].start_s))
        dst = os.path.join(d, name)
        if copy:
            shutil.copyfile(s.path, dst)
        else:
            try:
                os.link(s.path, dst)
            except OSError:
                shutil.copy2(s.path, dst)
        out.append(Placed(camdir, date, name, s))
    return out


def sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def mp4_top_boxes(path):
    """[(type str, offset, size)] of the top-level boxes of an (fragmented) MP4 file."""
    import struct
    out = []
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        off = 0
        while off + 8 <= end:
            f.seek(off)
            size, typ = struct.unpack(">I4s", f.read(8))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:
                size = end - off
            if size < 8:
                raise ValueError("%s: box %r at %d has size %d" % (path, typ, off, size))
            out.append((typ.decode("latin-1"), off, size))
            off += size
    return out


def mp4_fragments(path):
    """(init size, [(offset, size)] of each moof+mdat pair) from the top-level boxes."""
    boxes = mp4_top_boxes(path)
    moofs = [i for i, b in enumerate(boxes) if b[0] == "moof"]
    init = boxes[moofs[0]][1] if moofs else None
    frags = []
    for i in moofs:
        size = boxes[i][2]
        if i + 1 < len(boxes) and boxes[i + 1][0] == "mdat":
            size += boxes[i + 1][2]
        frags.append((boxes[i][1], size))
    return init, frags


def cleanup_extra_fixtures():
    for d in _FIXTURES.pop("extra_dirs", []):
        if not KEEP:
            shutil.rmtree(d, ignore_errors=True)
