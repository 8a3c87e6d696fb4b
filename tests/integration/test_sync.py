#!/usr/bin/python3
"""The S3 sync (worker/sync_module.hpp, issue 5) through `cctv-worker --once` against a
real S3-compatible server that verifies SigV4 (@20minutes/s3rver 5.0.0 via
tests/peers/s3server.js, see ../shared/PEERS.md section 2), read back with rclone.

- segments that arrive in an archive (two days, one camera with a videoFeedId) and a
  segment of more than 5 MiB (multipart) are uploaded by --once under the Izara keys
  s3Path/<camera>/<date>/<camera>_<feed>_<startUTC>_<endUTC>.ts, listed by rclone and
  downloaded back identical; a second --once uploads nothing;
- the server stopped in the middle of the uploads and started again: the sync completes,
  nothing duplicated or missing;
- a worker killed in the middle of a multipart upload: the next run aborts the recorded
  upload (s3rver has no Abort: the warning says so) and uploads the file again;
- a wrong secret: exit 3, one clear error line, nothing deleted (clearAfterUpload on);
  the config fixed: everything synced, and only then the settled day's files deleted
  (its rows kept: the day is `archived`);
- the daemon: a refused queue waits (status `blocked`, one error line, nothing deleted);
  restarted with the right secret, it uploads and clears;
- clearAfterUpload through nginx (harness.SiteTestCase): the archived day stays on the
  index page, and its playlist points at presigned s3rver URLs that ffprobe plays.
"""
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import harness
from harness import BUCKET, KEY_ID, SECRET, WORKER, ArchiveBuilder, S3Server, day

PREFIX = "site1"
CAMERA = "front"
FEED = "Streaming/Channels/101"
FEED_KEY = "Streaming-Channels-101"
MIB = 1 << 20


def key_time(date, hhmmss, plus=0.0):
    """YYYYMMDDTHHMMSSZ of a day directory's local (UTC here) time + `plus` seconds,
    rounded to the nearest second as the worker rounds the end."""
    import datetime as dt
    t = dt.datetime.strptime(date + hhmmss, "%Y-%m-%d%H%M%S") + dt.timedelta(
        seconds=math.floor(plus + 0.5))
    return t.strftime("%Y%m%dT%H%M%SZ")


def big_segment(path):
    """A valid MPEG-TS segment of about 8 MiB (lossless noise): a multipart upload."""
    res = harness.run(["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi",
                       "-i", "testsrc2=size=640x360:rate=10,noise=alls=40:allf=t", "-t", "2", "-c:v", "libx264",
                       "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", "-g", "10",
                       "-f", "mpegts", path])
    if res.returncode != 0:
        raise RuntimeError("ffmpeg: " + res.stderr)
    old = time.time() - 10 * 86400
    os.utime(path, (old, old))
    return path


def probe_duration(path):
    return harness.probe_duration(path)


class Site:
    """An archive, a config and a catalog for one test."""

    def __init__(self, work, name, endpoint, secret=SECRET, clear=False, **s3):
        self.dir = os.path.join(work, name)
        self.root = os.path.join(self.dir, "archive")
        self.catalog = os.path.join(self.dir, "var", "catalog.sqlite")
        self.config = os.path.join(self.dir, "config.json")
        self.archive = ArchiveBuilder(self.root)
        self.expected = {}  # key -> local path
        self.endpoint = endpoint
        self.write_config(secret, clear, **s3)

    def write_config(self, secret=SECRET, clear=False, **s3):
        s3config = {"s3Bucket": BUCKET, "s3Path": PREFIX + "/" + os.path.basename(self.dir),
                    "endpoint": self.endpoint, "pathStyle": True,
                    "multipartThresholdMB": 5, "multipartPartSizeMB": 5,
                    "uploadConcurrency": 4}
        s3config.update(s3)
        config = {"storageConfig": {"savePath": self.root, "catalogPath": self.catalog,
                                    "clearAfterUpload": clear},
                  "timeZone": "UTC",
                  "conversion": {"enabled": False},
                  "cameras": [{"cameraName": CAMERA, "videoFeedId": FEED}],
                  "s3Config": s3config,
                  "awsCredentials": {"accessKeyId": KEY_ID, "secretAccessKey": secret}}
        with open(os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            json.dump(config, f)

    @property
    def key_prefix(self):
        return PREFIX + "/" + os.path.basename(self.dir)

    def add_run(self, date, start, count=13):
        for p in self.archive.run(CAMERA, date, start, count=count):
            self.expect(date, p.name, os.path.join(self.root, CAMERA, date, p.name),
                        p.seg.duration)

    def add_big(self, date, hhmmss):
        path = os.path.join(self.root, CAMERA, date, "video_%s.ts" % hhmmss)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        big_segment(path)
        assert os.path.getsize(path) > 5 * MIB, "not a multipart upload"
        self.expect(date, os.path.basename(path), path, probe_duration(path))
        return path

    def expect(self, date, name, path, duration):
        hhmmss = name[6:12]
        key = "%s/%s/%s/%s_%s_%s_%s.ts" % (self.key_prefix, CAMERA, date, CAMERA, FEED_KEY,
                                           key_time(date, hhmmss), key_time(date, hhmmss,
                                                                            duration))
        self.expected[key] = path

    def once(self, timeout=120, wait=None):
        return subprocess.Popen([WORKER, "--config", self.config, "--once", "--timeout",
                                 str(timeout)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=harness.env_without_aws())

    def uploads(self):
        with sqlite3.connect("file:%s?mode=ro" % self.catalog, uri=True) as db:
            return db.execute("SELECT date, name, state, only_in_s3 FROM upload").fetchall()

    def day_state(self, date):
        with sqlite3.connect("file:%s?mode=ro" % self.catalog, uri=True) as db:
            row = db.execute("SELECT state, segment_count FROM day WHERE date = ?",
                             (date,)).fetchone()
            return row


class SyncTest(harness.S3TestCase):
    WORK_PREFIX = "cctv-sync-"
    NEEDS = ("cctv-worker",)

    # -- helpers ---------------------------------------------------------------------
    def listed(self, site):
        out = self.rclone("lsf", "-R", "--files-only", "s3t:%s/%s" % (BUCKET, site.key_prefix))
        return sorted(site.key_prefix + "/" + line for line in out.decode().split("\n") if line)

    def assertSynced(self, site, contents):
        """Exactly the expected keys, each identical to `contents[key]` (bytes)."""
        self.assertEqual(self.listed(site), sorted(site.expected))
        back = os.path.join(site.dir, "back")
        shutil.rmtree(back, ignore_errors=True)
        self.rclone("copy", "--fast-list", "s3t:%s/%s" % (BUCKET, site.key_prefix), back)
        for key, data in contents.items():
            rel = key[len(site.key_prefix) + 1:]
            with open(os.path.join(back, rel), "rb") as f:
                self.assertEqual(f.read(), data, key)
        # rclone's own MD5 check against S3's ETags.
        sums = self.rclone("md5sum", "s3t:%s/%s" % (BUCKET, site.key_prefix)).decode()
        self.assertEqual(len([l for l in sums.split("\n") if l.strip()]), len(site.expected))

    def run_once(self, site, timeout=120):
        proc = site.once(timeout)
        out, err = proc.communicate(timeout=timeout + 60)
        return proc.returncode, err

    @staticmethod
    def read_all(site):
        out = {}
        for key, path in site.expected.items():
            with open(path, "rb") as f:
                out[key] = f.read()
        return out

    # -- tests -----------------------------------------------------------------------
    def test_once_uploads_segments_under_izara_keys(self):
        site = Site(self.work, "once", self.server.endpoint)
        site.add_run(day(-3), "101500")
        site.add_run(day(0), "000100", count=4)
        site.add_big(day(-3), "120000")
        contents = self.read_all(site)
        started = time.monotonic()
        code, err = self.run_once(site)
        seconds = time.monotonic() - started
        self.assertEqual(code, 0, err)
        self.assertIn("everything is in S3", err)
        self.assertNotIn(SECRET, err)
        self.assertSynced(site, contents)
        total = sum(len(v) for v in contents.values())
        print("\n--once: %d files, %.1f MiB in %.2f s (%.1f MiB/s, with indexing)"
              % (len(contents), total / MIB, seconds, total / MIB / seconds), file=sys.stderr)
        self.assertTrue(all(state == "done" for _, _, state, _ in site.uploads()))
        # Nothing new: nothing uploaded again.
        code, err = self.run_once(site)
        self.assertEqual(code, 0, err)
        self.assertIn("s3 sync: 0 files uploaded", err)
        # A new segment is picked up by the next pass.
        site.add_run(day(0), "000300", count=2)
        contents = self.read_all(site)
        code, err = self.run_once(site)
        self.assertEqual(code, 0, err)
        self.assertIn("s3 sync: 2 files uploaded", err)
        self.assertSynced(site, contents)

    def test_server_stopped_mid_upload(self):
        site = Site(self.work, "restart", self.server.endpoint, uploadLimitKBps=4096,
                    uploadConcurrency=2)
        site.add_run(day(-2), "080000")
        site.add_big(day(-2), "090000")
        site.add_big(day(-2), "091000")
        contents = self.read_all(site)
        proc = site.once(timeout=180)
        err_lines = []
        reader = threading.Thread(target=lambda: err_lines.append(proc.stderr.read()))
        reader.start()
        time.sleep(2.0)  # in the middle of the first big file (about 6 s at 4 MiB/s)
        port = self.server.port
        self.server.stop()
        time.sleep(2.5)
        self.server.port = port
        self.server.start()
        proc.wait(240)
        reader.join()
        proc.stdout.close()
        proc.stderr.close()
        err = "".join(err_lines)
        self.assertEqual(proc.returncode, 0, err)
        self.assertRegex(err, r"upload of .* failed .*(connect|Connection|reset|refused|closed)")
        self.assertSynced(site, contents)

    def test_killed_mid_multipart_upload(self):
        """A worker killed during a multipart upload: the next start aborts the recorded
        upload (s3rver cannot: logged, not leaked silently) and starts the file over."""
        site = Site(self.work, "killed", self.server.endpoint, uploadLimitKBps=2048,
                    uploadConcurrency=1)
        site.add_big(day(-2), "100000")
        contents = self.read_all(site)
        proc = site.once(timeout=120)
        deadline = time.monotonic() + 30
        recorded = []
        while time.monotonic() < deadline and not recorded:
            time.sleep(0.2)
            try:
                with sqlite3.connect("file:%s?mode=ro" % site.catalog, uri=True) as db:
                    recorded = db.execute("SELECT upload_id FROM upload WHERE "
                                          "state = 'uploading' AND upload_id != ''").fetchall()
            except sqlite3.Error:
                pass
        proc.kill()
        proc.communicate()
        self.assertTrue(recorded, "no multipart upload id recorded")
        code, err = self.run_once(site)
        self.assertEqual(code, 0, err)
        self.assertIn("cannot abort the unfinished multipart upload %s" % recorded[0][0], err)
        self.assertSynced(site, contents)
        self.assertEqual([s for _, _, s, _ in site.uploads()], ["done"])

    def test_wrong_secret_then_fixed(self):
        site = Site(self.work, "secret", self.server.endpoint, secret="wrong/secret+x",
                    clear=True)
        past = day(-4)
        site.add_run(past, "060000", count=6)
        site.add_run(day(0), "000100", count=3)
        contents = self.read_all(site)
        code, err = self.run_once(site, timeout=60)
        self.assertEqual(code, 3, err)
        self.assertEqual(err.count("uploads stopped"), 1, err)
        self.assertIn("SignatureDoesNotMatch", err)
        self.assertNotIn("wrong/secret+x", err)
        self.assertNotIn(SECRET, err)
        for path in site.expected.values():
            self.assertTrue(os.path.exists(path), path)  # nothing deleted
        self.assertEqual(self.listed(site), [])
        self.assertEqual(site.day_state(past)[0], "settled")
        # The config fixed: synced, then the settled day cleared (clearAfterUpload).
        site.write_config(SECRET, clear=True)
        code, err = self.run_once(site, timeout=60)
        self.assertEqual(code, 0, err)
        self.assertSynced(site, contents)
        state, count = site.day_state(past)
        self.assertEqual((state, count), ("archived", 6))
        for key, path in site.expected.items():
            if "/%s/" % past in key:
                self.assertFalse(os.path.exists(path), path)  # only in S3 now
            else:
                self.assertTrue(os.path.exists(path), path)  # today: still recording
        only = sorted(n for d, n, s, o in site.uploads() if o)
        self.assertEqual(len(only), 6)


class DaemonSyncTest(harness.S3TestCase):
    """The daemon's sync module: a refused queue waits (status `blocked`, one error line,
    nothing deleted); restarted with the right secret, it uploads and clears."""
    WORK_PREFIX = "cctv-syncd-"
    NEEDS = ("cctv-worker",)

    def start(self, site):
        log = open(os.path.join(site.dir, "worker.log"), "a")
        proc = subprocess.Popen([WORKER, "--config", site.config], stdout=log,
                                stderr=subprocess.STDOUT, env=harness.env_without_aws())
        log.close()
        return proc

    @staticmethod
    def stop(proc):
        proc.terminate()
        proc.wait(30)

    @staticmethod
    def status(site):
        try:
            with sqlite3.connect("file:%s?mode=ro" % site.catalog, uri=True) as db:
                return db.execute("SELECT state, waiting_files, last_error FROM sync_status"
                                  ).fetchone()
        except sqlite3.Error:
            return None

    def wait_status(self, site, predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.status(site)
            if st is not None and predicate(st):
                return st
            time.sleep(0.2)
        self.fail("sync_status %r after %s s" % (self.status(site), timeout))

    def test_refused_then_restarted_with_the_right_secret(self):
        site = Site(self.work, "daemon", self.server.endpoint, secret="wrong/secret+x",
                    clear=True)
        past = day(-3)
        site.add_run(past, "070000", count=5)
        proc = self.start(site)
        try:
            st = self.wait_status(site, lambda st: st[0] == "blocked")
            self.assertEqual(st[1], 5)
            self.assertIn("SignatureDoesNotMatch", st[2])
            time.sleep(2)  # it waits instead of spinning: still one error line
        finally:
            self.stop(proc)
        with open(os.path.join(site.dir, "worker.log")) as f:
            log = f.read()
        self.assertEqual(log.count("uploads stopped"), 1, log)
        self.assertNotIn("wrong/secret+x", log)
        self.assertTrue(all(os.path.exists(p) for p in site.expected.values()))
        site.write_config(SECRET, clear=True)
        proc = self.start(site)
        try:
            self.wait_status(site, lambda st: st[0] == "idle" and st[1] == 0)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and any(
                    os.path.exists(p) for p in site.expected.values()):
                time.sleep(0.2)
        finally:
            self.stop(proc)
        self.assertFalse(any(os.path.exists(p) for p in site.expected.values()))
        self.assertEqual(site.day_state(past), ("archived", 5))
        self.assertEqual(sorted(s for _, _, s, o in site.uploads()), ["done"] * 5)


class ArchivedDayPlaysFromS3(harness.SiteTestCase):
    """A day whose files are only in S3 plays through presigned URLs in its playlist."""
    DATE = day(-5)

    @classmethod
    def build_archive(cls):
        harness.require_s3rver()
        cls.server = S3Server(cls.work).start()
        cls.placed = cls.archive.run(CAMERA, cls.DATE, "101500")
        cls.EXTRA_CONFIG = {
            "storageConfig": {"savePath": cls.root,
                              "catalogPath": os.path.join(cls.work, "var", "catalog.sqlite"),
                              "clearAfterUpload": True},
            "conversion": {"enabled": False},
            "s3Config": {"s3Bucket": BUCKET, "s3Path": PREFIX, "endpoint": cls.server.endpoint,
                         "pathStyle": True, "presignSeconds": 3600},
            "awsCredentials": {"accessKeyId": KEY_ID, "secretAccessKey": SECRET}}

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        if getattr(cls, "server", None) is not None:
            cls.server.stop()

    def test_archived_day_plays_through_presigned_urls(self):
        files = [os.path.join(self.root, CAMERA, self.DATE, p.name) for p in self.placed]
        self.assertTrue(all(os.path.exists(f) for f in files))
        res = harness.run([WORKER, "--config", self.config_path, "--once", "--timeout", "60"])
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertFalse(any(os.path.exists(f) for f in files), "local files left")
        self.assertNotIn(SECRET, res.stderr)
        # Still listed on the index page, as archived.
        _, body = self.assertStatus("/", 200)
        page = body.decode()
        self.assertIn(self.DATE, page)
        self.assertIn("state-archived", page)
        self.assertIn("S3: all files uploaded", page)
        # Its playlist: presigned URLs to the S3 server, not kept by shared caches.
        path = "/playlist.m3u8?camera=%s&date=%s" % (CAMERA, self.DATE)
        pl, hdrs = self.playlist(path)
        self.assertIn("private", hdrs.get("cache-control", ""))
        uris = pl.uris
        self.assertEqual(len(uris), len(self.placed))
        for uri in uris:
            self.assertTrue(uri.startswith(self.server.endpoint + "/" + BUCKET + "/" + PREFIX
                                           + "/" + CAMERA + "/" + self.DATE + "/"), uri)
            self.assertIn("X-Amz-Signature=", uri)
            self.assertIn("X-Amz-Expires=3600", uri)
        self.assertEqual(self.playlist(path)[0].text, pl.text)  # stable within a step
        # Each URL serves the segment as it was uploaded.
        import urllib.request
        with urllib.request.urlopen(uris[0], timeout=30) as r:
            with open(self.placed[0].seg.path, "rb") as f:
                self.assertEqual(r.read(), f.read())
        # ffprobe plays the whole day through nginx's playlist and the presigned URLs.
        res = harness.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
                           "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0",
                           self.site.base_url + path], timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        frames = int(res.stdout.strip().split("\n")[0])
        self.assertEqual(frames, sum(p.seg.frames for p in self.placed))


if __name__ == "__main__":
    harness.main()
