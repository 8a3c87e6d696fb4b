#!/usr/bin/python3
"""The recorder of cctv-worker against a real RTSP camera on loopback
(tests/peers/fakecam.py: gst-rtsp-server, x264, 320x180, 10 fps, a keyframe every 2 s).

Each test writes a config with its cameras, starts fakecam(s) and the worker daemon on
free ports in a temp dir, and always stops them. What is checked, per the recorder's
contract (issue 3):
- segments `<root>/<camera>/YYYY-MM-DD/video_HHMMSS.ts` named after their start (UTC
  here), closed within a GOP of the wall clock, cut on keyframes at multiples of
  segmentSeconds (±1 GOP), contiguous, each playable (ffprobe + a full decode), with the
  catalog's rows (start, duration, bytes) matching the files;
- with and without basic auth, digest auth and a URL built from ipAddress/rtspPort/
  rtspPath/userName/password (special characters), two cameras at once, a disabled one;
- a wrong password: a clear log line naming the camera and never a password, retries
  with growing delays (counted at the camera), the other camera unaffected;
- the camera gone for 15 s then back on the same port: recording resumes and the
  playlist (nginx + cctv-playlist) has #EXT-X-DISCONTINUITY + #EXT-X-PROGRAM-DATE-TIME;
- SIGTERM: exit 0 within 2 s, no *.part, every segment playable and in the catalog;
- kill -9 mid-segment: the next start salvages the *.part and the catalog matches the disk;
- hostile camera configs: refused by --check-config and by the daemon, with the JSON path
  and without the password.
"""
import datetime as dt
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import harness
from harness import BIN, BUILD_DIR, KEEP, FakeCam, Playlist, Stack

SEG = 2  # segmentSeconds of most cameras here
FPS = 10
SIZE = "320x180"
FIRST_SEGMENT_TIMEOUT = 30  # opening RTSP + the first segment


def camera(name, url, seg=SEG, **keys):
    return dict({"cameraName": name, "url": url, "segmentSeconds": seg, "timeZone": "UTC"},
                **keys)


class SegmentFile:
    """A final segment on disk, with what ffprobe and a full decode say of it."""

    def __init__(self, root, path):
        self.path = path
        rel = os.path.relpath(path, root).split(os.sep)
        self.camera_dir, self.date, self.name = rel[0], rel[1], rel[2]
        self.size = os.path.getsize(path)
        m = re.fullmatch(r"video_(\d{2})(\d{2})(\d{2})\.ts", self.name)
        self.name_time = None
        if m and re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.date):
            t = dt.datetime.strptime(self.date + "".join(m.groups()), "%Y-%m-%d%H%M%S")
            self.name_time = t.replace(tzinfo=dt.timezone.utc).timestamp()
        self._probed = None

    @property
    def key(self):
        return (self.camera_dir, self.date, self.name)

    def probe(self):
        """dict(duration, frames, first_key, codec, errors): errors is what ffprobe and a
        full decode with ffmpeg wrote on stderr (empty = playable)."""
        if self._probed is None:
            res = harness.run(["ffprobe", "-v", "error", "-show_entries",
                               "format=duration:stream=codec_type,codec_name,width,height",
                               "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
                               "-of", "json", self.path])
            errors = res.stderr.strip()
            info = {}
            try:
                info = json.loads(res.stdout or "{}")
            except ValueError:
                errors += " (ffprobe output is not JSON)"
            packets = info.get("packets", [])
            streams = info.get("streams", [])
            dec = harness.run(["ffmpeg", "-v", "error", "-nostdin", "-i", self.path, "-map", "0",
                               "-f", "null", "-"])
            errors = (errors + "\n" + dec.stderr.strip()).strip()
            if res.returncode or dec.returncode:
                errors += " (ffprobe rc %d, ffmpeg rc %d)" % (res.returncode, dec.returncode)
            self._probed = {
                "duration": float(info.get("format", {}).get("duration", 0) or 0),
                "frames": len(packets),
                "first_key": bool(packets) and "K" in packets[0].get("flags", ""),
                "codec": "%s %sx%s" % (streams[0].get("codec_name"), streams[0].get("width"),
                                       streams[0].get("height")) if streams else "",
                "errors": errors,
            }
        return self._probed

    def __repr__(self):
        return "/".join(self.key)


class Watcher(threading.Thread):
    """Notes when each final segment first appears (time.time()), polling every 50 ms."""

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.seen = {}
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            now = time.time()
            for p in glob.glob(os.path.join(self.root, "*", "*", "video_*.ts")):
                self.seen.setdefault(p, now)
            self.halt.wait(0.05)

    def stop(self):
        self.halt.set()
        self.join(5)


class RecorderCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        harness.require_binaries("cctv-worker")
        harness.require_fakecam()
        self.work = tempfile.mkdtemp(prefix="cctv-rec-")
        self.root = os.path.join(self.work, "archive")
        os.makedirs(self.root)
        self.catalog = os.path.join(self.work, "var", "catalog.sqlite")
        self.config = os.path.join(self.work, "config.json")
        self.cams = []
        self.stack = None
        self.secrets = []
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        if self.stack is not None:
            self.stack.stop()
        for c in self.cams:
            c.stop()
        if KEEP:
            print("\nkept %s" % self.work, file=sys.stderr)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # -- setup helpers --------------------------------------------------------------------
    def fakecam(self, name, **kw):
        kw.setdefault("fps", FPS)
        kw.setdefault("size", SIZE)
        cam = FakeCam(self.work, name, **kw)
        self.cams.append(cam)
        cam.start()
        if cam.password:
            self.secrets.append(cam.password)
        return cam

    def configure(self, cameras):
        for c in cameras:
            if c.get("password"):
                self.secrets.append(c["password"])
        harness.cctvsite.write_config(self.config, self.root, self.catalog, "Recorder test",
                                      {"cameras": cameras})
        res = harness.run([os.path.join(BIN, "cctv-worker"), "--config", self.config,
                           "--check-config"])
        self.assertEqual(res.returncode, 0, "--check-config refused the cameras: %s%s"
                         % (res.stdout, res.stderr))

    def start(self, web=False):
        self.stack = Stack(self.work, self.config, BUILD_DIR, worker=True, web=web)
        self.stack.start()
        return self.stack

    @property
    def worker_log(self):
        return self.stack.log_path("cctv-worker")

    def log_lines(self):
        with open(self.worker_log, errors="replace") as f:
            return f.read().splitlines()

    def logs(self):
        return self.stack.logs() + "".join(harness.tail(c.log, 10) for c in self.cams)

    def stop_worker(self, sig=signal.SIGTERM, timeout=10):
        """Signals the worker; returns (seconds until it exited, exit status)."""
        proc = self.stack.worker_proc
        t0 = time.monotonic()
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self.fail("the worker did not exit %d s after signal %d%s" % (timeout, sig, self.logs()))
        return time.monotonic() - t0, proc.returncode

    # -- what is on disk and in the catalog -----------------------------------------------
    def files(self, camera_dir=None):
        pattern = os.path.join(self.root, camera_dir or "*", "*", "video_*.ts")
        return sorted((SegmentFile(self.root, p) for p in glob.glob(pattern)),
                      key=lambda s: (s.camera_dir, s.date, s.name))

    def leftovers(self):
        """Files being written (*.part) or hidden ones anywhere in the archive."""
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            for n in filenames:
                if n.endswith(".part") or n.startswith("."):
                    out.append(os.path.relpath(os.path.join(dirpath, n), self.root))
        return sorted(out)

    def wait_files(self, camera_dir, count, timeout, after=None):
        """Waits until `camera_dir` has `count` final segments (named after wall-clock
        time `after`, when given); returns them."""
        deadline = time.monotonic() + timeout
        while True:
            got = [f for f in self.files(camera_dir)
                   if after is None or (f.name_time is not None and f.name_time >= after - 1)]
            if len(got) >= count:
                return got
            if self.stack.worker_proc.poll() is not None:
                self.fail("the worker exited with %s%s" % (self.stack.worker_proc.returncode,
                                                          self.logs()))
            if time.monotonic() > deadline:
                self.fail("%d of %d segments of %s after %d s%s"
                          % (len(got), count, camera_dir, timeout, self.logs()))
            time.sleep(0.1)

    def db(self):
        try:
            con = sqlite3.connect("file:%s?mode=ro" % self.catalog, uri=True, timeout=10)
            con.execute("SELECT 1 FROM sqlite_master").fetchall()
        except sqlite3.OperationalError:
            con = sqlite3.connect(self.catalog, timeout=10)  # a WAL db without -shm, worker gone
        con.row_factory = sqlite3.Row
        return con

    def catalog_segments(self):
        """{(camera dir, date, name): row dict} of every segment row."""
        with self.db() as con:
            rows = con.execute(
                "SELECT c.name AS camera, c.directory AS directory, s.date, s.name, "
                "s.start_time_us, s.duration_us, s.size_bytes, s.codec "
                "FROM segment s JOIN camera c ON c.id = s.camera_id").fetchall()
        return {(r["directory"] or r["camera"], r["date"], r["name"]): dict(r) for r in rows}

    @staticmethod
    def rows_table(rows):
        return "\n".join("  %s  %s  %.3f s" % ("/".join(k), _iso(r["start_time_us"] / 1e6),
                                                r["duration_us"] / 1e6)
                         for k, r in sorted(rows.items(), key=lambda kv: kv[1]["start_time_us"]))

    def camera_status(self):
        """{camera name: row dict} of the camera_status table (state, last_error,
        since_time_us, bitrate_bps, segments_today: core/schema.sql v2). Read while
        the worker runs, asserted at the end of a test (after the recordings)."""
        with self.db() as con:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN "
                                                "('table', 'view')")]
            if "camera_status" not in tables:
                return {"error": "no camera_status table in the catalog"}
            rows = [dict(r) for r in con.execute("SELECT * FROM camera_status")]
            names = {r["id"]: r["name"] for r in con.execute("SELECT id, name FROM camera")}
        return {names.get(r["camera_id"], r["camera_id"]): r for r in rows}

    # -- assertions -----------------------------------------------------------------------
    def assertNoSecretsLogged(self):
        """No password, raw or percent-encoded, in any line of any log."""
        logs = glob.glob(os.path.join(self.work, "run", "logs", "*.log"))
        for secret in set(self.secrets):
            forms = {secret, urllib.parse.quote(secret, safe="")}
            for path in logs:
                with open(path, errors="replace") as f:
                    for line in f:
                        for form in forms:
                            self.assertNotIn(form, line, "a password in %s: %r"
                                             % (os.path.basename(path), line.rstrip()))

    def assertPlayable(self, files):
        for i, f in enumerate(files):
            p = f.probe()
            if p["errors"]:
                self.fail("%s (%d of %d, %.3f s, %d frames) is not cleanly playable:\n%s\n"
                          "packets: %s%s" % (f, i + 1, len(files), p["duration"], p["frames"],
                                             p["errors"], packet_summary(f.path), self.logs()))
            self.assertGreater(p["frames"], 0, "%s has no video" % f)
            self.assertTrue(p["first_key"], "%s does not start on a keyframe" % f)
            self.assertTrue(p["codec"].startswith("h264 "), "%s: %s" % (f, p["codec"]))

    def assertCatalogMatchesDisk(self, camera_dirs):
        """Exactly the final files on disk are in the catalog, with their sizes, and
        durations within a frame of ffprobe's."""
        rows = {k: v for k, v in self.catalog_segments().items() if k[0] in camera_dirs}
        files = {f.key: f for f in self.files() if f.camera_dir in camera_dirs}
        self.assertEqual(sorted(rows), sorted(files), "catalog rows vs files on disk")
        for key, f in files.items():
            row = rows[key]
            self.assertEqual(row["size_bytes"], f.size, "%s: bytes in the catalog" % f)
            self.assertAlmostEqual(row["duration_us"] / 1e6, f.probe()["duration"],
                                   delta=1.0 / FPS + 0.05, msg="%s: catalog duration" % f)
            start = row["start_time_us"] / 1e6
            self.assertTrue(-0.001 <= start - f.name_time < 1.001,
                            "%s: the catalog says it starts at %s\n%s"
                            % (f, _iso(start), self.rows_table(rows)))

    def assertContinuous(self, files, seg, gop, where):
        """One uninterrupted recording: each segment starts where the previous ended;
        all but the first and last start within a GOP after a multiple of `seg` and last
        `seg` ± one GOP; every segment but the last is a whole number of GOPs."""
        rows = self.catalog_segments()
        spans = [(rows[f.key]["start_time_us"] / 1e6, rows[f.key]["duration_us"] / 1e6, f)
                 for f in files]
        spans.sort(key=lambda s: s[0])
        table = "\n".join("  %s  start %s (+%.3f s after a multiple of %d)  %.3f s"
                          % (f.name, _iso(st), st % seg, seg, d) for st, d, f in spans)
        for (s0, d0, f0), (s1, d1, f1) in zip(spans, spans[1:]):
            self.assertAlmostEqual(s1, s0 + d0, delta=0.15,
                                   msg="%s: %s ends at %s, %s starts at %s\n%s"
                                   % (where, f0, _iso(s0 + d0), f1, _iso(s1), table))
        for start, dur, f in spans[1:-1]:
            offset = start % seg
            if offset > seg - 0.25:
                offset -= seg
            self.assertTrue(-0.25 <= offset <= gop + 0.25,
                            "%s: %s starts %.3f s after a multiple of %d s (GOP %.1f s)\n%s"
                            % (where, f, offset, seg, gop, table))
            self.assertTrue(seg - gop - 0.15 <= dur <= seg + gop + 0.15,
                            "%s: %s lasts %.3f s (segmentSeconds %d, GOP %.1f s)\n%s"
                            % (where, f, dur, seg, gop, table))
        for start, dur, f in spans[:-1]:
            gops = dur / gop
            self.assertAlmostEqual(gops, round(gops), delta=1.5 / FPS / gop,
                                   msg="%s: %s lasts %.3f s, not a whole number of %.1f s "
                                   "GOPs\n%s" % (where, f, dur, gop, table))


def packet_summary(path):
    """The first and last packets of a file (stream, pts, size, flags), for failures."""
    out = harness.run(["ffprobe", "-v", "error", "-show_entries",
                       "packet=stream_index,pts_time,size,flags", "-of", "csv=p=0", path]).stdout
    lines = out.split()
    shown = lines if len(lines) <= 8 else lines[:4] + ["..."] + lines[-4:]
    return "%d: %s" % (len(lines), " ".join(shown))


def _iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="milliseconds")


class Recording(RecorderCase):
    def test_segments_named_on_boundaries(self):
        """No auth: names, wall clock, boundaries, durations, playable, catalog."""
        cam = self.fakecam("cam1")
        self.configure([camera("cam1", cam.url())])
        self.start()
        watch = Watcher(self.root)
        watch.start()
        try:
            self.wait_files("cam1", 6, FIRST_SEGMENT_TIMEOUT + 6 * SEG)
        finally:
            watch.stop()
        took, rc = self.stop_worker()
        self.assertEqual(rc, 0, self.logs())
        self.assertEqual(self.leftovers(), [])
        files = self.files("cam1")
        self.assertGreaterEqual(len(files), 6)
        for f in files:
            self.assertIsNotNone(f.name_time, "%s: not a YYYY-MM-DD/video_HHMMSS.ts name" % f)
        self.assertPlayable(files)
        self.assertCatalogMatchesDisk({"cam1"})
        rows = self.catalog_segments()
        # Closed (renamed into place) within a GOP of the wall-clock end of its content.
        for f in files:
            if f.path not in watch.seen:
                continue  # closed by SIGTERM after the watch ended
            row = rows[f.key]
            end = row["start_time_us"] / 1e6 + row["duration_us"] / 1e6
            lag = watch.seen[f.path] - end
            self.assertTrue(-0.5 <= lag <= cam.gop_seconds,
                            "%s (%s + %.3f s) appeared at %s: %.3f s off the wall clock"
                            % (f, _iso(row["start_time_us"] / 1e6), row["duration_us"] / 1e6,
                               _iso(watch.seen[f.path]), lag))
            self.assertEqual(f.date, dt.datetime.fromtimestamp(
                row["start_time_us"] / 1e6, dt.timezone.utc).date().isoformat())
        self.assertContinuous(files, SEG, cam.gop_seconds, "cam1")
        self.assertNoSecretsLogged()

    def test_two_cameras_auth_and_built_url(self):
        """Basic auth in `url`; digest auth through ipAddress/rtspPort/rtspPath/userName/
        password with characters that need percent-encoding, segmentSeconds 4 and a 1 s GOP
        (a tighter boundary check); a disabled camera records nothing."""
        a = self.fakecam("a", user="admin", password="Basic-Pw-71")
        b = self.fakecam("b", user="viewer", password="p@ss:w/rd 9", auth="digest", gop=FPS)
        self.configure([
            camera("front", a.url("admin", "Basic-Pw-71")),
            {"cameraName": "back", "ipAddress": "127.0.0.1", "rtspPort": b.port,
             "rtspPath": "/cam1", "userName": "viewer", "password": "p@ss:w/rd 9",
             "segmentSeconds": 4, "timeZone": "UTC", "resolution": "640x360", "frameRate": 10},
            camera("off", "rtsp://127.0.0.1:9/none", enabled=False),
        ])
        self.start()
        self.wait_files("back", 4, FIRST_SEGMENT_TIMEOUT + 4 * 4)
        self.wait_files("front", 5, 10)
        status = self.camera_status()
        took, rc = self.stop_worker()
        self.assertEqual(rc, 0, self.logs())
        self.assertEqual(self.leftovers(), [])
        self.assertEqual(self.files("off"), [])
        front, back = self.files("front"), self.files("back")
        self.assertPlayable(front + back)
        self.assertCatalogMatchesDisk({"front", "back"})
        self.assertContinuous(front, SEG, a.gop_seconds, "front")
        self.assertContinuous(back, 4, b.gop_seconds, "back")
        # The configured resolution differs from what the camera sends: logged once,
        # recorded as sent.
        mismatch = [l for l in self.log_lines()
                    if re.search(r"\bcam=back\b", l) and "320x180" in l and "640x360" in l]
        self.assertEqual(len(mismatch), 1, "\n".join(self.log_lines()))
        self.assertEqual({f.probe()["codec"] for f in back}, {"h264 320x180"})
        self.assertNoSecretsLogged()
        self.assertEqual(status.get("off", {}).get("state"), "disabled", status)
        self.assertEqual(status.get("front", {}).get("state"), "recording", status)
        self.assertEqual(status.get("back", {}).get("state"), "recording", status)

    def test_wrong_password(self):
        """A clear log line, retries with growing delays, the other camera unaffected."""
        good = self.fakecam("good", user="admin", password="Right-Pw-42")
        bad = self.fakecam("bad", user="admin", password="Right-Pw-43")
        self.configure([camera("good", good.url("admin", "Right-Pw-42")),
                        camera("bad", bad.url("admin", "Wrong-Pw-17"))])
        t0 = time.time()
        self.start()
        self.wait_files("good", 1, FIRST_SEGMENT_TIMEOUT)
        time.sleep(max(0.0, t0 + 16 - time.time()))
        status = self.camera_status()
        took, rc = self.stop_worker()
        self.assertEqual(rc, 0, self.logs())
        self.secrets.append("Wrong-Pw-17")
        self.assertNoSecretsLogged()
        lines = self.log_lines()
        bad_lines = [l for l in lines if re.search(r"\bcam=bad\b", l)]
        clear = [l for l in bad_lines
                 if re.search(r"401|unauthori[sz]ed|authenticat|authori[sz]ation|password|"
                              r"credential", l, re.I)]
        self.assertTrue(clear, "no log line of cam=bad says the credentials were refused:\n"
                        + "\n".join(bad_lines[:20] or lines[-30:]))
        # Retries, counted at the camera: 1 s doubling (+ jitter) gives about 5 in 16 s;
        # a retry every second would be 16, no retry 1.
        attempts = [t for t in bad.connections() if t >= t0]
        gaps = [b - a for a, b in zip(attempts, attempts[1:])]
        detail = "connections at +%s s" % ", +".join("%.2f" % (t - t0) for t in attempts)
        self.assertTrue(3 <= len(attempts) <= 7, detail)
        self.assertGreaterEqual(min(gaps), 0.5, detail)
        self.assertGreaterEqual(gaps[-1], 2 * gaps[0], "the delay does not grow: " + detail)
        self.assertEqual(self.files("bad"), [])
        # The good camera recorded all along, without a break.
        files = self.files("good")
        self.assertGreaterEqual(len(files), 4, self.logs())
        self.assertPlayable(files)
        self.assertCatalogMatchesDisk({"good", "bad"})
        self.assertContinuous(files, SEG, good.gop_seconds, "good")
        # Status, as the web side reads it.
        self.assertEqual(status.get("good", {}).get("state"), "recording", status)
        self.assertEqual(status.get("bad", {}).get("state"), "reconnecting", status)
        self.assertTrue(status["bad"].get("last_error"), status)
        self.assertNotIn("Wrong-Pw-17", str(status))
        self.assertGreater(status["good"].get("bitrate_bps") or 0, 0, status)
        self.assertGreater(status["good"].get("segments_today") or 0, 0, status)
        self.assertEqual(status["good"].get("last_error"), "", status)
        now_us = time.time() * 1e6
        for name in ("good", "bad"):
            since = status[name].get("since_time_us") or 0
            self.assertTrue(t0 * 1e6 - 2e6 <= since <= now_us, "%s: since %s" % (name, status))
        # One line per event, naming its camera: FFmpeg's own messages about the refusal
        # too (with two cameras failing, a line without cam= cannot be attributed).
        anonymous = [l for l in lines if re.search(r"401|unauthori[sz]ed", l, re.I)
                     and not re.search(r"\bcam=bad\b", l)]
        self.assertEqual(anonymous, [], "log lines about the refusal without cam=bad")


class HostileConfig(unittest.TestCase):
    """Camera configs the worker must refuse, naming the JSON path, never the password."""
    SECRET = "Hostile-Pw-5"

    def setUp(self):
        harness.require_binaries("cctv-worker")
        self.work = tempfile.mkdtemp(prefix="cctv-rec-cfg-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.root = os.path.join(self.work, "archive")
        os.makedirs(self.root)

    def check(self, cam, path, daemon=False):
        config = os.path.join(self.work, "config.json")
        harness.cctvsite.write_config(config, self.root, os.path.join(self.work, "c.sqlite"),
                                      "t", {"cameras": [{"cameraName": "ok", "url":
                                                         "rtsp://127.0.0.1:9/x"}, cam]})
        argv = [os.path.join(BIN, "cctv-worker"), "--config", config]
        res = harness.run(argv if daemon else argv + ["--check-config"], timeout=20)
        out = res.stdout + res.stderr
        self.assertEqual(res.returncode, 1, "%s accepted: %s" % (json.dumps(cam), out))
        self.assertIn(path, out, json.dumps(cam))
        self.assertNotIn(self.SECRET, out)
        self.assertNotIn(urllib.parse.quote(self.SECRET), out)
        self.assertLessEqual(len(out.strip().splitlines()), 3, out)
        return out

    def test_refused_with_the_json_path(self):
        pw = self.SECRET
        cases = [
            ({"cameraName": "", "url": "rtsp://h/x"}, "cameras[1].cameraName"),
            ({"cameraName": "../etc", "url": "rtsp://h/x"}, "cameras[1].cameraName"),
            ({"cameraName": "a/b", "url": "rtsp://h/x"}, "cameras[1].cameraName"),
            ({"cameraName": "ok", "url": "rtsp://h/y"}, "cameras[1].cameraName"),  # twice
            ({"cameraName": "c", "url": "not a url"}, "cameras[1].url"),
            ({"cameraName": "c", "url": "ftp://h/x"}, "cameras[1].url"),
            ({"cameraName": "c", "url": "rtsp://u:%s@/x" % pw}, "cameras[1].url"),
            ({"cameraName": "c", "url": "rtsp://h/x\n"}, "cameras[1].url"),
            ({"cameraName": "c", "url": 554}, "cameras[1].url"),
            ({"cameraName": "c", "ipAddress": "1.2.3.4:554"}, "cameras[1].ipAddress"),
            ({"cameraName": "c", "ipAddress": "h", "rtspPort": 70000}, "cameras[1].rtspPort"),
            ({"cameraName": "c", "ipAddress": "h", "rtspPath": "/a b"}, "cameras[1].rtspPath"),
            ({"cameraName": "c", "ipAddress": "h", "password": pw + "\n"}, "cameras[1].password"),
            ({"cameraName": "c", "url": "rtsp://h/x", "segmentSeconds": 0},
             "cameras[1].segmentSeconds"),
            ({"cameraName": "c", "url": "rtsp://h/x", "segmentSeconds": "10"},
             "cameras[1].segmentSeconds"),
            ({"cameraName": "c", "url": "rtsp://h/x", "segmentSeconds": 4, "videoDuration": 10},
             "cameras[1].videoDuration"),
            ({"cameraName": "c", "url": "rtsp://h/x", "enabled": "yes"}, "cameras[1].enabled"),
            ({"cameraName": "c", "url": "rtsp://h/x", "resolution": "big"},
             "cameras[1].resolution"),
            ({"cameraName": "c", "url": "rtsp://h/x", "timeZone": "Mars/Olympus"},
             "cameras[1].timeZone"),
            ({"cameraName": "c", "url": "rtsp://h/x", "passwd": pw}, "cameras[1].passwd"),
        ]
        for cam, path in cases:
            with self.subTest(cam=json.dumps(cam)):
                self.check(cam, path)
        # The daemon refuses to start on the same errors.
        self.check({"cameraName": "../x", "url": "rtsp://h/x"}, "cameras[1].cameraName",
                   daemon=True)
        self.assertEqual(os.listdir(self.root), [])


class Faults(RecorderCase):
    def wait_mid_segment(self, camera_dir, after_final):
        """Waits for `after_final` closed segments, then for a *.part that has been
        written for at least 1.5 s; returns its path."""
        self.wait_files(camera_dir, after_final, FIRST_SEGMENT_TIMEOUT + after_final * 4)
        deadline = time.monotonic() + 15
        first_seen = {}
        while time.monotonic() < deadline:
            parts = glob.glob(os.path.join(self.root, camera_dir, "*", "*.part"))
            now = time.monotonic()
            for p in parts:
                first_seen.setdefault(p, now)
            ripe = [p for p in parts if now - first_seen[p] >= 1.5 and os.path.getsize(p) > 0]
            if ripe:
                return ripe[0]
            time.sleep(0.05)
        self.fail("no *.part file in %s (leftovers: %s)%s"
                  % (camera_dir, self.leftovers(), self.logs()))

    def test_sigterm_closes_segments_within_2s(self):
        cam = self.fakecam("cam1")
        self.configure([camera("cam1", cam.url(), seg=4)])
        self.start()
        part = self.wait_mid_segment("cam1", 1)
        before = {f.key for f in self.files("cam1")}
        took, rc = self.stop_worker(signal.SIGTERM)
        self.assertLessEqual(took, 2.0, "SIGTERM took %.2f s%s" % (took, self.logs()))
        self.assertEqual(rc, 0, self.logs())
        self.assertEqual(self.leftovers(), [])
        # Closed under the name of its start as known at the end, which the stream's
        # timestamps may have moved a little earlier than the *.part's name.
        stem = SegmentFile(self.root, part[:-len(".part")])
        files = self.files("cam1")
        closed = [f for f in files if f.date == stem.date and
                  -2 <= f.name_time - stem.name_time <= 0 and f.key not in before]
        self.assertTrue(closed, "the open segment %s was not closed: %s"
                        % (os.path.relpath(part, self.root), files))
        self.assertPlayable(files)
        self.assertCatalogMatchesDisk({"cam1"})
        self.assertContinuous(files, 4, cam.gop_seconds, "cam1")

    def test_kill9_then_salvage(self):
        cam = self.fakecam("cam1")
        self.configure([camera("cam1", cam.url(), seg=4)])
        self.start()
        part = self.wait_mid_segment("cam1", 1)
        self.stop_worker(signal.SIGKILL)
        self.assertTrue(os.path.exists(part), "the *.part vanished with kill -9")
        final = part[:-len(".part")]
        self.assertFalse(os.path.exists(final))
        restarted = time.time()
        self.stack.start_worker()
        deadline = time.monotonic() + 15
        while os.path.exists(part) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists(part), "%s left after the restart%s" % (part, self.logs()))
        self.assertTrue(os.path.exists(final),
                        "%s (1.5 s of video from a keyframe) was not salvaged under its own "
                        "name; files now: %s%s" % (os.path.relpath(part, self.root),
                                                   self.files(), self.logs()))
        # Recording goes on; then a clean stop, and the catalog must match the disk.
        self.wait_files("cam1", 2, FIRST_SEGMENT_TIMEOUT + 8, after=restarted)
        took, rc = self.stop_worker()
        self.assertEqual(rc, 0, self.logs())
        self.assertEqual(self.leftovers(), [])
        files = self.files("cam1")
        self.assertPlayable(files)
        self.assertCatalogMatchesDisk({"cam1"})
        self.assertIn(("cam1",) + tuple(os.path.relpath(final, os.path.join(self.root, "cam1"))
                                        .split(os.sep)), self.catalog_segments())

    def test_camera_gone_15s_gap_in_playlist(self):
        cam = self.fakecam("cam1")
        self.configure([camera("cam1", cam.url())])
        self.start(web=True)
        before = self.wait_files("cam1", 3, FIRST_SEGMENT_TIMEOUT + 3 * SEG)
        cam.stop()
        stopped = time.time()
        time.sleep(15)
        cam.start()  # the same port
        restarted = time.time()
        # Backoff 1, 2, 4, 8, 16 s (+ jitter): the retry after the camera is back may be
        # up to ~32 s after it went away.
        after = self.wait_files("cam1", 2, 45, after=restarted)
        resumed = min(f.name_time for f in after) - restarted
        rows = self.catalog_segments()
        deadline = time.monotonic() + 5
        while not all(f.key in rows for f in after) and time.monotonic() < deadline:
            time.sleep(0.1)
            rows = self.catalog_segments()
        first_after = min(after, key=lambda f: f.name)
        date = first_after.date
        code, hdrs, body = self.stack.get("/playlist.m3u8?camera=cam1&date=" + date)
        self.assertEqual(code, 200, body[:300])
        pl = Playlist(body.decode())
        self.assertEqual(harness.check_playlist(pl, closed=False), [], pl.text)
        uri = "/cam1/%s/%s" % (date, first_after.name)
        self.assertIn(uri, pl.uris, pl.text)
        i = pl.uris.index(uri)
        self.assertTrue(pl.segments[i]["discontinuity"], "no DISCONTINUITY before %s:\n%s"
                        % (uri, pl.text))
        self.assertIsNotNone(pl.segments[i]["pdt"], pl.text)
        pdt = harness.parse_pdt(pl.segments[i]["pdt"]).timestamp()
        self.assertAlmostEqual(pdt, rows[first_after.key]["start_time_us"] / 1e6, delta=0.001)
        self.assertGreaterEqual(pdt - stopped, 14.0, "PROGRAM-DATE-TIME %s: the camera was "
                                "away from %s" % (pl.segments[i]["pdt"], _iso(stopped)))
        # The only discontinuity of the day is at the gap (unless the day began mid-test:
        # then the segment after the gap is the first of its day).
        breaks = [pl.uris[j] for j, s in enumerate(pl.segments) if s["discontinuity"]]
        if any(f.date == date for f in before):
            self.assertEqual(breaks, [uri], pl.text)
        self.assertTrue(any(re.search(r"\bcam=cam1\b", l) for l in self.log_lines()))
        print("\n  recording resumed %.1f s after the camera came back" % resumed,
              file=sys.stderr)
        self.stop_worker()
        files = self.files("cam1")
        self.assertPlayable(files)
        self.assertCatalogMatchesDisk({"cam1"})
        self.assertEqual(self.leftovers(), [])


if __name__ == "__main__":
    harness.main()
