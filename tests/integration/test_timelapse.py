#!/usr/bin/python3
"""The timelapse (issue 6): `cctv-worker --timelapse-now DATE --camera NAME` and the daemon
make <day>/timelapse.mp4, about 60 s of H.264 from the picked keyframes of a day, and nginx
serves it.

Synthetic days: 640x360, 10 fps, 10 s segments with a keyframe every 2 s (lavfi testsrc2 +
libx264, made once per run). What is checked:
- `--timelapse-now` of a day of 36 segments in two runs with a gap: exit 0; h264, yuv420p,
  640x360 (never upscaled), 25 fps (1500 frames), duration 50..70 s, the index (moov)
  before the pictures (faststart); 180 keyframes for 1500 slots: all used, none twice;
  a `.part` left by a kill -9 is removed; the segments and the catalog are untouched, and
  a reindex neither indexes nor complains about the timelapse;
- a converted day: the converter keeps the timelapse made from the segments; made again
  from video.mp4 (H.265, one keyframe per fragment) it is h264 of 50..70 s too;
- the daemon makes the timelapse of every closed day (not today's), nginx serves it as
  video/mp4 (also a byte range); after a late segment (copied with an old mtime, as
  cp -p does) a restarted daemon makes it again.
"""
import json
import os
import resource
import sys
import time
import unittest

import harness
from harness import day

SEG_S = 10
FPS = 10
SIZE = "640x360"
FIXTURE_COUNT = 36


def segments(n):
    return harness.synthetic_segments(FIXTURE_COUNT, SEG_S, SIZE, FPS)[:n]


def ffprobe(path):
    res = harness.run(["ffprobe", "-v", "error", "-of", "json", "-show_entries",
                       "stream=codec_type,codec_name,width,height,pix_fmt,r_frame_rate,nb_frames"
                       ":format=duration", path], timeout=60)
    if res.returncode != 0:
        raise AssertionError("ffprobe %s: %s" % (path, res.stderr))
    info = json.loads(res.stdout)
    video = [s for s in info["streams"] if s["codec_type"] == "video"]
    return video, [s for s in info["streams"] if s["codec_type"] != "video"], \
        float(info["format"]["duration"])


class TimelapseCase(harness.WorkerTestCase):
    WORK_PREFIX = "cctv-tl-"

    def setUp(self):
        super().setUp()
        harness.cctvsite.write_config(self.config, self.root, self.catalog, "Timelapse test", {
            "conversion": {"enabled": False, "preset": "ultrafast"}})

    def timelapse_now(self, date, camera="front"):
        """Runs --timelapse-now; returns (result, CPU seconds, wall seconds)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        res = self.worker("--timelapse-now", date, "--camera", camera)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        self.assertEqual(res.returncode, 0, "--timelapse-now %s: %s" % (date, res.stderr))
        return res, cpu, wall

    def assertTimelapse(self, path, width=640, height=360):
        self.assertTrue(os.path.isfile(path), "no %s in %s" % (path, os.listdir(
            os.path.dirname(path))))
        self.assertFalse(os.path.exists(path + ".part"))
        video, others, duration = ffprobe(path)
        self.assertEqual([(s["codec_name"], s["width"], s["height"], s["pix_fmt"],
                           s["r_frame_rate"]) for s in video],
                         [("h264", width, height, "yuv420p", "25/1")])
        self.assertEqual(others, [], "no audio, nothing else")
        self.assertGreaterEqual(duration, 50.0)
        self.assertLessEqual(duration, 70.0)
        # faststart: moov before mdat, so that a browser plays it while downloading.
        boxes = [b[0] for b in harness.mp4_top_boxes(path)]
        self.assertLess(boxes.index("moov"), boxes.index("mdat"), boxes)
        return video[0], duration

    def segment_rows(self):
        res = self.reindex()
        con = self.db()
        try:
            return con.execute("SELECT d.date, s.name FROM segment s JOIN day d ON "
                               "d.camera_id = s.camera_id AND d.date = s.date "
                               "ORDER BY 1, 2").fetchall(), res.stderr
        finally:
            con.close()


class TimelapseNow(TimelapseCase):
    def test_a_day_of_segments(self):
        d = day(-3)
        segs = segments(36)
        harness.lay_out(self.root, "front", d, "100000", segs[:24])
        harness.lay_out(self.root, "front", d, "120000", segs[24:])  # after a gap
        dd = self.day_dir("front", d)
        out = os.path.join(dd, "timelapse.mp4")
        with open(out + ".part", "wb") as f:  # left by a kill -9
            f.write(b"\0" * 4096)
        res, cpu, wall = self.timelapse_now(d)
        print("\n--timelapse-now of %d segments (%d s recorded, %s, %d fps, keyframe every 2 s):"
              " %.2f s CPU, %.2f s wall" % (len(segs), len(segs) * SEG_S, SIZE, FPS, cpu, wall),
              file=sys.stderr)
        video, _ = self.assertTimelapse(out)
        # 180 keyframes for 1500 slots: every one is used (and repeated: 25 fps).
        self.assertEqual(int(video["nb_frames"]), 1500)
        self.assertIn("180 pictures from 180 of 180 keyframes (36 files, 360.0 s recorded)",
                      res.stderr)
        self.assertNotIn("<4>", res.stderr)
        # Made again over the old one (atomically), the same way.
        res, _, _ = self.timelapse_now(d)
        self.assertTimelapse(out)
        # The segments and the catalog are untouched; a reindex ignores the timelapse.
        rows, log = self.segment_rows()
        self.assertEqual(len(rows), 36)
        self.assertNotIn("timelapse", log)
        self.assertEqual(sorted(n for n in os.listdir(dd) if n.endswith(".ts")),
                         sorted(r[1] for r in rows))

    def test_a_converted_day(self):
        d = day(-4)
        harness.lay_out(self.root, "front", d, "080000", segments(6))
        self.timelapse_now(d)
        dd = self.day_dir("front", d)
        out = os.path.join(dd, "timelapse.mp4")
        first = harness.sha256_file(out)
        res = self.worker("--convert-now", d, "--camera", "front", timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr)
        # The converter deletes the segments only.
        self.assertEqual(sorted(n for n in os.listdir(dd)
                                if not os.path.isdir(os.path.join(dd, n))),
                         ["timelapse.mp4", "video.mp4", "video.mp4.sha512sum"])
        self.assertEqual(harness.sha256_file(out), first)
        # From video.mp4: one keyframe per fragment, each decoded.
        os.unlink(out)
        res, _, _ = self.timelapse_now(d)
        self.assertIn("6 pictures from 6 of 6 keyframes (1 files, 60.0 s recorded)", res.stderr)
        self.assertTimelapse(out)

    def test_errors(self):
        harness.lay_out(self.root, "front", day(-3), "100000", segments(2))
        res = self.worker("--timelapse-now", day(-9), "--camera", "front")
        self.assertEqual(res.returncode, 1)
        self.assertIn("has no day", res.stderr)
        res = self.worker("--timelapse-now", "2026-02-30")
        self.assertEqual(res.returncode, 2)


class TimelapseDaemon(TimelapseCase):
    def test_the_daemon_makes_them_and_nginx_serves_them(self):
        harness.lay_out(self.root, "front", day(-2), "100000", segments(12))
        harness.lay_out(self.root, "cam2", day(-1), "230000", segments(6))
        today = harness.lay_out(self.root, "front", day(0), "000000", segments(2), copy=True)
        self.start_stack()
        wanted = [os.path.join(self.day_dir("front", day(-2)), "timelapse.mp4"),
                  os.path.join(self.day_dir("cam2", day(-1)), "timelapse.mp4")]
        self.wait_for(wanted, 60)
        for path in wanted:
            self.assertTimelapse(path)
        self.assertFalse(os.path.exists(os.path.join(self.day_dir("front", day(0)),
                                                     "timelapse.mp4")),
                         "today is still recording: %s" % today)
        # nginx serves it as video/mp4, whole and in ranges.
        rel = "/front/%s/timelapse.mp4" % day(-2)
        code, hdrs, body = self.stack.get(rel)
        self.assertEqual(code, 200, "%s: %r" % (rel, body[:200]))
        self.assertEqual(hdrs.get("content-type"), "video/mp4")
        with open(wanted[0], "rb") as f:
            self.assertEqual(body, f.read())
        code, hdrs, body = self.stack.get(rel, {"Range": "bytes=0-99"})
        self.assertEqual((code, len(body)), (206, 100))
        code, _, _ = self.stack.get("/front/%s/timelapse.mp4.part" % day(-2))
        self.assertEqual(code, 404)
        # Listed: timelapseUrl in the API's days.json (null for today), a link per day on
        # the index page.
        if harness.have_binaries("cctv-api", "cctv-index"):
            code, _, body = self.stack.get("/api/1/cameras/front/days.json")
            self.assertEqual(code, 200, body)
            urls = {d["date"]: d["timelapseUrl"] for d in json.loads(body)["days"]}
            self.assertEqual(urls, {day(-2): rel, day(0): None})
            code, _, page = self.stack.get("/")
            self.assertEqual(code, 200)
            self.assertIn('<a class="timelapse" href="%s">' % rel, page.decode())
            self.assertIn('<a class="timelapse" href="/cam2/%s/timelapse.mp4">' % day(-1),
                          page.decode())
            self.assertEqual(page.decode().count('class="timelapse"'), 2)

        log = self.worker_log()
        self.assertNotIn("timelapse.mp4: probe", log)
        self.assertFalse([ln for ln in log.splitlines()
                          if ln.startswith(("<3>", "<4>")) and "timelapse" in ln], log)

        # A late segment copied with its old mtime kept (cp -p), older even than the
        # timelapse's: its ctime is new, so a restarted daemon makes the timelapse again.
        self.stack.stop_one("cctv-worker")
        old = time.time() - 7200
        os.utime(wanted[0], (old, old))
        late = harness.lay_out(self.root, "front", day(-2), "150000", segments(1), copy=True)
        kept = old - 3600  # quiet long enough to be settled at once
        os.utime(os.path.join(self.day_dir("front", day(-2)), late[0].name), (kept, kept))
        before = log.count("timelapse of %s" % day(-2))
        self.stack.start_worker()
        deadline = time.monotonic() + 60
        # Until its log line is out (written after the file is renamed into place).
        while (self.worker_log().count("timelapse of %s" % day(-2)) < before + 1
               and time.monotonic() < deadline):
            time.sleep(0.2)
        self.assertGreater(os.path.getmtime(wanted[0]), old, self.worker_log()[-3000:])
        self.assertTimelapse(wanted[0])
        self.assertIn("13 files", self.worker_log().split("timelapse of %s" % day(-2))[-1])
        self.assertEqual(self.worker_log().count("timelapse of %s" % day(-2)), before + 1)

    def wait_for(self, paths, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(os.path.exists(p) for p in paths):
                return
            time.sleep(0.2)
        self.fail("no timelapse after %d s: %s\n%s" % (
            timeout, [p for p in paths if not os.path.exists(p)], self.stack.logs()))


if __name__ == "__main__":
    unittest.main(verbosity=2)
