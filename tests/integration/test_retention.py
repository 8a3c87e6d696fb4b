"""Retention (issue 5): `cctv-worker --once` deletes whole days, oldest first, by
daysToKeep (global and per camera), by the archive's size (clearWhenFilePathReachGB) and
by the free-space floor (minFreeGB) on a real small file system (a tmpfs in a private
mount namespace), keeps what is not yet stored in S3 unless the floor demands it (then
an error line says what was lost), and never deletes today. Checked on disk, in the
catalog (sqlite3, read-only) and on the index page / playlist through nginx.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

import harness
from harness import WORKER, ArchiveBuilder, SiteTestCase, day, have_binaries, run

GIB = 1 << 30
S3_ON = {
    # S3 "enabled" without a reachable store: nothing is uploaded, so nothing is safe.
    "s3Config": {"s3Bucket": "cctv-retention", "endpoint": "http://127.0.0.1:9",
                 "pathStyle": True},
    "awsCredentials": {"accessKeyId": "AKIDRETENTIONTEST", "secretAccessKey": "not-a-secret"},
}


def catalog_days(path):
    """{(camera, date): (state, size_bytes, segment rows)} from the catalog, read-only."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        rows = db.execute(
            "SELECT c.name, d.date, d.state, d.size_bytes, "
            "(SELECT count(*) FROM segment s WHERE s.camera_id = d.camera_id "
            " AND s.date = d.date), d.delete_reason "
            "FROM day d JOIN camera c ON c.id = d.camera_id").fetchall()
        orphans = db.execute(
            "SELECT count(*) FROM segment s WHERE NOT EXISTS (SELECT 1 FROM day d "
            "WHERE d.camera_id = s.camera_id AND d.date = s.date)").fetchone()[0]
    finally:
        db.close()
    assert orphans == 0, "segment rows without a day"
    for r in rows:
        assert r[5] is None, "day %s %s left marked for deletion" % (r[0], r[1])
    return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}


def once_args():
    """--once, with a short wait for uploads when the worker has the S3 sync pass (the
    store of these tests is unreachable: nothing is ever uploaded)."""
    if "once" not in _ONCE:
        usage = run([WORKER, "--help"]).stdout
        _ONCE["once"] = ["--once"] + (["--timeout", "2"] if "--timeout" in usage else [])
    return _ONCE["once"]


_ONCE = {}
# --once's exit status with S3 on and nothing uploaded: 3 once the S3 sync pass is in
# (uploads still wait); retention's own outcome is 0 in these cases.
UNSYNCED = (0, 3)


def run_once(config_path, timeout=120):
    return run([WORKER, "--config", config_path] + once_args(), timeout=timeout)


def log_lines(res, needle):
    return [ln for ln in res.stderr.splitlines() if needle in ln]


def write_config(path, root, catalog, extra):
    cfg = {"storageConfig": {"savePath": root, "catalogPath": catalog}, "timeZone": "UTC"}
    for key, value in extra.items():
        if key == "storageConfig":
            cfg["storageConfig"].update(value)
        else:
            cfg[key] = value
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    os.chmod(path, 0o600)


class RetentionByDaysAndSize(SiteTestCase):
    """Two cameras: front (global daysToKeep 4) and yard (its own daysToKeep 2), then a
    size cap; the index page and playlists through nginx follow."""
    CAMERAS = [{"cameraName": "front"}, {"cameraName": "yard", "daysToKeep": 2}]
    FRONT = [-6, -5, -4, -3, -2, -1, 0]
    YARD = [-3, -2, -1, 0]

    @classmethod
    def build_archive(cls):
        a = cls.archive
        for offset in cls.FRONT:
            a.run("front", day(offset), "100000")
        for offset in cls.YARD:
            a.run("yard", day(offset), "110000", count=6)
        # A converted day's file, its checksum and thumbnails go with their day.
        a.write_file("front/%s/video.mp4.sha512sum" % day(-6), b"00  video.mp4\n")
        a.write_file("front/%s/thumbs/100000.jpg" % day(-6), b"jpg")

    def write(self, **extra):
        extra["cameras"] = self.CAMERAS
        write_config(self.config_path, self.root, self.catalog, extra)

    def dir_of(self, camera, offset):
        return os.path.join(self.root, camera, day(offset))

    def test_days_then_size(self):
        before = catalog_days(self.catalog)
        self.assertEqual(len(before), len(self.FRONT) + len(self.YARD))
        # ---- daysToKeep: 4 for front (global), 2 for yard (its own)
        self.write(daysToKeep=4)
        res = run_once(self.config_path)
        self.assertEqual(res.returncode, 0, res.stderr)
        gone = {("front", day(o)) for o in (-6, -5, -4)} | {("yard", day(o)) for o in (-3, -2)}
        after = catalog_days(self.catalog)
        self.assertEqual(set(after), set(before) - gone)
        for camera, date in gone:
            self.assertFalse(os.path.exists(os.path.join(self.root, camera, date)), date)
            lines = log_lines(res, "cam=%s deleted %s:" % (camera, date))
            self.assertEqual(len(lines), 1, res.stderr)
            self.assertTrue(lines[0].startswith("<6>"), lines[0])
            self.assertIn("reason days", lines[0])
            if (camera, date) != ("front", day(-6)):  # -6 has files beside its segments
                self.assertIn("files, %d bytes" % before[(camera, date)][1], lines[0])
        for camera, date in after:
            self.assertTrue(os.path.isdir(os.path.join(self.root, camera, date)), date)
        self.assertTrue(os.path.isdir(os.path.join(self.root, "yard")))
        # A second pass has nothing to do.
        res = run_once(self.config_path)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(log_lines(res, " deleted "), [])
        self.assertEqual(catalog_days(self.catalog), after)

        # ---- the web side no longer lists them
        if have_binaries("cctv-index", "cctv-playlist"):
            _, body = self.assertStatus("/", 200)
            html = body.decode("utf-8")
            for offset in (-6, -5, -4):
                self.assertNotIn('data-date="%s"' % day(offset), html)
            self.assertIn('data-date="%s"' % day(-3), html)
            self.assertOneLine("/playlist.m3u8?camera=front&date=%s" % day(-5), (404,))
            self.assertOneLine("/playlist.m3u8?camera=yard&date=%s" % day(-2), (404,))
            self.playlist("/playlist.m3u8?camera=yard&date=%s" % day(-1))

        # ---- clearWhenFilePathReachGB: the oldest days go until the archive fits
        sizes = sorted(((date, cam), v[1]) for (cam, date), v in after.items())
        total = sum(s for _, s in sizes)
        past = [(k, s) for k, s in sizes if k[0] != day(0)]
        # A cap that takes exactly the two oldest past days (front -3, then front -2).
        cap = total - past[0][1] - past[1][1] // 2
        self.write(daysToKeep=4, storageConfig={"clearWhenFilePathReachGB": cap / GIB})
        res = run_once(self.config_path)
        self.assertEqual(res.returncode, 0, res.stderr)
        final = catalog_days(self.catalog)
        gone = {(cam, date) for (date, cam), _ in past[:2]}
        self.assertEqual(set(final), set(after) - gone, res.stderr)
        for camera, date in gone:
            self.assertFalse(os.path.exists(os.path.join(self.root, camera, date)))
            self.assertIn("reason size", log_lines(res, "cam=%s deleted %s:" % (camera, date))[0])
        self.assertLessEqual(sum(v[1] for v in final.values()), cap)
        # Today is never deleted whole, whatever the cap.
        self.write(daysToKeep=1, storageConfig={"clearWhenFilePathReachGB": 1 / GIB})
        res = run_once(self.config_path)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(set(catalog_days(self.catalog)), {("front", day(0)), ("yard", day(0))})
        self.assertTrue(log_lines(res, "still over storageConfig.clearWhenFilePathReachGB"))


class RetentionS3Protection(harness.WorkerTestCase):
    """With S3 on, days not yet uploaded are kept by daysToKeep and the size cap."""
    WORK_PREFIX = "cctv-it-ret-"

    def setUp(self):
        super().setUp()
        for offset in (-5, -4, 0):
            self.archive.run("front", day(offset), "080000", count=4)

    def test_not_uploaded_days_are_kept(self):
        extra = dict(S3_ON, daysToKeep=1, storageConfig={"clearWhenFilePathReachGB": 1 / GIB})
        write_config(self.config, self.root, self.catalog, extra)
        res = run_once(self.config)
        self.assertIn(res.returncode, UNSYNCED, res.stderr)
        self.assertEqual(set(catalog_days(self.catalog)),
                         {("front", day(o)) for o in (-5, -4, 0)})
        self.assertEqual(log_lines(res, " deleted "), [])
        self.assertEqual(log_lines(res, "LOST"), [])
        self.assertTrue(log_lines(res, "2 days kept until stored in S3"), res.stderr)
        for o in (-5, -4, 0):
            self.assertTrue(os.path.isdir(os.path.join(self.root, "front", day(o))))


class RetentionCrashRecovery(harness.WorkerTestCase):
    """A worker killed between marking a day and forgetting its rows: the next run
    finishes the deletion; in between, the indexer neither re-adds nor forgets it."""
    WORK_PREFIX = "cctv-it-ret-"

    def setUp(self):
        super().setUp()
        for offset in (-3, -2, 0):
            self.archive.run("front", day(offset), "080000", count=5)
        write_config(self.config, self.root, self.catalog, {})

    def test_a_marked_day_is_finished_by_the_next_run(self):
        res = run_once(self.config)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(len(catalog_days(self.catalog)), 3)
        # The crash: day -3 marked (phase 1), two of its five files deleted (phase 2).
        db = sqlite3.connect(self.catalog)
        with db:
            db.execute("UPDATE day SET delete_reason = 'days' WHERE date = ?", (day(-3),))
        db.close()
        marked = os.path.join(self.root, "front", day(-3))
        for name in sorted(os.listdir(marked))[:2]:
            os.remove(os.path.join(marked, name))
        # --reindex (a full one) leaves the marked day's rows alone.
        self.reindex()
        db = sqlite3.connect("file:%s?mode=ro" % self.catalog, uri=True)
        self.assertEqual(db.execute("SELECT count(*) FROM segment WHERE date = ?",
                                    (day(-3),)).fetchone()[0], 5)
        db.close()
        # The next run (no rule set) finishes it before anything else.
        res = run_once(self.config)
        self.assertEqual(res.returncode, 0, res.stderr)
        lines = log_lines(res, "cam=front finished deleting %s (reason days" % day(-3))
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn("3 files", lines[0])
        self.assertFalse(os.path.exists(marked))
        self.assertEqual(set(catalog_days(self.catalog)),
                         {("front", day(-2)), ("front", day(0))})


def can_mount_tmpfs():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return "needs root and unshare(1) to mount a tmpfs in a private mount namespace"
    probe = tempfile.mkdtemp(prefix="cctv-it-mnt-")
    try:
        res = run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                   "mount -t tmpfs -o size=1m tmpfs '%s'" % probe])
        if res.returncode != 0:
            return "cannot mount a tmpfs here: " + res.stderr.strip()
    finally:
        os.rmdir(probe)
    return None


class RetentionFreeSpaceFloor(unittest.TestCase):
    """minFreeGB on a real, small file system: a tmpfs mounted in a private mount
    namespace (the host's mounts are untouched; it vanishes with the namespace). The
    archive is copied in, `cctv-worker --once` runs there, and what is left is listed."""

    DAYS = [-5, -4, -3, -2, -1, 0]

    @classmethod
    def setUpClass(cls):
        harness.require_binaries("cctv-worker")
        reason = can_mount_tmpfs()
        if reason:
            raise unittest.SkipTest(reason)

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="cctv-it-ret-")
        self.staging = os.path.join(self.work, "staging")
        a = ArchiveBuilder(self.staging)
        for offset in self.DAYS:
            a.run("front", day(offset), "090000")
        # Each day's size as the catalog will count it (its segment files).
        self.day_bytes = {}
        for p in a.placed:
            self.day_bytes[p.date] = self.day_bytes.get(p.date, 0) + os.path.getsize(
                os.path.join(self.staging, "front", p.date, p.name))
        self.mnt = os.path.join(self.work, "mnt")
        os.makedirs(self.mnt)

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def once_on_tmpfs(self, extra, size_bytes):
        """Runs --once on a tmpfs of `size_bytes` holding the archive; returns (result,
        free bytes before, free bytes after, files left)."""
        catalog = os.path.join(self.work, "catalog.sqlite")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(catalog + suffix):
                os.remove(catalog + suffix)
        config = os.path.join(self.work, "config.json")
        write_config(config, self.mnt, catalog, extra)
        out = os.path.join(self.work, "out")
        os.makedirs(out, exist_ok=True)
        script = r"""
set -e
mount -t tmpfs -o size={size} tmpfs '{mnt}'
cp -R --preserve=mode,timestamps '{staging}/.' '{mnt}/'
stat -f -c '%a %S' '{mnt}' > '{out}/before'
set +e
'{worker}' --config '{config}' {once} > '{out}/stdout' 2> '{out}/stderr'
echo $? > '{out}/rc'
set -e
stat -f -c '%a %S' '{mnt}' > '{out}/after'
cd '{mnt}' && find . -type f | sort > '{out}/files'
""".format(size=size_bytes, mnt=self.mnt, staging=self.staging, out=out, worker=WORKER,
           config=config, once=" ".join(once_args()))
        res = run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], timeout=180)
        self.assertEqual(res.returncode, 0, res.stderr)

        def read(name):
            with open(os.path.join(out, name), encoding="utf-8") as f:
                return f.read()

        def free(name):
            avail, frsize = read(name).split()
            return int(avail) * int(frsize)

        once = subprocess.CompletedProcess([WORKER], int(read("rc")), read("stdout"),
                                           read("stderr"))
        files = [ln[2:] for ln in read("files").splitlines()]
        return once, free("before"), free("after"), files, catalog

    def expected_loss(self, floor, free_before):
        """The oldest past days whose catalog bytes bring free space up to the floor."""
        need, gone = floor - free_before, []
        for offset in self.DAYS[:-1]:
            if need <= 0:
                break
            gone.append(day(offset))
            need -= self.day_bytes[day(offset)]
        return gone

    def check_floor(self, extra, lost):
        total = sum(self.day_bytes.values())
        one_day = self.day_bytes[day(-5)]
        # Room for the archive (tmpfs counts whole pages) and a little more; a floor 2.5
        # days above what is free.
        size = (total // 4096 + 64 * len(self.DAYS) + 256) * 4096
        free_guess = size - total
        floor = free_guess + one_day * 5 // 2
        extra = dict(extra)
        extra["storageConfig"] = {"minFreeGB": floor / GIB}
        once, before, after, files, catalog = self.once_on_tmpfs(extra, size)
        self.assertLess(before, floor)
        gone = self.expected_loss(floor, before)
        self.assertGreaterEqual(len(gone), 2, (before, floor, self.day_bytes))
        self.assertIn(once.returncode, UNSYNCED if lost else (0,), once.stderr)
        self.assertGreaterEqual(after, floor, once.stderr)
        left_days = sorted({f.split("/")[1] for f in files})
        self.assertEqual(left_days, sorted(set(day(o) for o in self.DAYS) - set(gone)),
                         once.stderr)
        self.assertEqual(set(catalog_days(catalog)), {("front", d) for d in left_days})
        for date in gone:
            if lost:
                lines = log_lines(once, "cam=front LOST %s, not yet stored in S3:" % date)
                self.assertEqual(len(lines), 1, once.stderr)
                self.assertTrue(lines[0].startswith("<3>"), lines[0])
                self.assertIn("13 files (video_090000.ts .. ", lines[0])
                self.assertIn(" %d bytes " % self.day_bytes[date], lines[0])
                self.assertIn("free space", lines[0])
            else:
                lines = log_lines(once, "cam=front deleted %s:" % date)
                self.assertEqual(len(lines), 1, once.stderr)
                self.assertIn("reason free space", lines[0])
                self.assertIn("13 files, %d bytes" % self.day_bytes[date], lines[0])
        self.assertIn(day(0), left_days)  # today is never deleted whole

    def test_floor_deletes_oldest_days(self):
        self.check_floor({}, lost=False)

    def test_floor_deletes_days_not_uploaded_loudly(self):
        # daysToKeep 1 would take every past day, but none is uploaded: only the floor
        # deletes, as little as it needs, with an error line per lost day.
        self.check_floor(dict(S3_ON, daysToKeep=1), lost=True)


if __name__ == "__main__":
    harness.main()
