#!/usr/bin/python3
"""Thumbnails (issue 6, part 3): the worker daemon writes <day>/thumbs/video_HHMMSS.jpg for
every segment of a generated archive, newest first; nginx serves them as image/jpeg with a
long cache, and nothing else under thumbs/; the indexer does not take them for segments; a
segment that arrives later gets its thumbnail too."""
import json
import os
import shutil
import subprocess
import time

import harness
from harness import day

WIDTH, HEIGHT = 160, 90  # the fixtures are 640x360


def thumb_rel(placed):
    d = os.path.join(placed.camdir, placed.date) if placed.camdir else placed.date
    return os.path.join(d, "thumbs", placed.name[:-3] + ".jpg")


def probe(path):
    res = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=codec_name,width,height", "-of", "json", path],
                         capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        return None
    streams = json.loads(res.stdout).get("streams") or [{}]
    return streams[0]


class ThumbnailsWithWorker(harness.MultiSiteTestCase):
    WORKER_DAEMON = True
    # Days stay segments here (the converter's own tests cover converted days).
    EXTRA_CONFIG = {"conversion": {"enabled": False}}

    @classmethod
    def site_started(cls):
        def missing():
            return [thumb_rel(p) for p in cls.archive.placed
                    if not os.path.exists(os.path.join(cls.root, thumb_rel(p)))]
        cls.wait_until(lambda: not missing(), 90, lambda: "the thumbnails of %s" % missing()[:5])

    def test_every_segment_has_a_jpeg_thumbnail(self):
        self.assertGreater(len(self.archive.placed), 40)
        for p in self.archive.placed:
            path = os.path.join(self.root, thumb_rel(p))
            with open(path, "rb") as f:
                self.assertEqual(f.read(2), b"\xff\xd8", path)
            self.assertEqual(probe(path), {"codec_name": "mjpeg", "width": WIDTH,
                                           "height": HEIGHT}, path)
            # Nothing half-written is left.
            self.assertFalse(os.path.exists(path + ".part"))

    def test_nginx_serves_them_as_jpeg(self):
        for p in self.archive.day_segments("front", day(-3)) + self.archive.day_segments(
                "cam2", day(-1)):
            rel = "/" + thumb_rel(p)
            hdrs, body = self.assertStatus(rel, 200)
            self.assertEqual(hdrs.get("content-type"), "image/jpeg", rel)
            self.assertIn("max-age=31536000", hdrs.get("cache-control", ""), rel)
            self.assertEqual(hdrs.get("x-content-type-options"), "nosniff")
            with open(os.path.join(self.root, thumb_rel(p)), "rb") as f:
                self.assertEqual(body, f.read(), rel)
        # Only the thumbnail name shape is served under thumbs/.
        d = "/front/%s/thumbs/" % day(-3)
        self.archive.write_file("front/%s/thumbs/notes.txt" % day(-3))
        self.archive.write_file("front/%s/thumbs/video_100000.jpg.part" % day(-3))
        for bad in (d, d + "notes.txt", d + "video_1000.jpg", d + "video_100000.jpg.part",
                    d + "video_100000.png", "/unknown/%s/thumbs/video_100000.jpg" % day(-3)):
            code, _, _ = self.get(bad)
            self.assertEqual(code, 404, bad)

    def test_the_indexer_ignores_them(self):
        pl, _ = self.playlist("/playlist.m3u8?camera=front&date=" + day(-3))
        self.assertEqual(len(pl.uris), 16)
        self.assertFalse([u for u in pl.uris if "thumbs" in u])
        code, _, body = self.get("/api/1/cameras/front/days.json")
        if code == 200:  # cctv-api built
            days = {d["date"]: d for d in json.loads(body)["days"]}
            self.assertEqual(set(days), {day(-3), day(-2), day(-1), day(0)})
            self.assertEqual(days[day(-3)]["pieces"], 16)

    def test_a_new_segment_gets_its_thumbnail(self):
        seg = harness.fixture_segments()[5]
        rel = "front/%s/video_000030.ts" % day(0)
        dst = os.path.join(self.root, rel)
        shutil.copy(seg.path, dst + ".part")
        os.rename(dst + ".part", dst)
        thumb = os.path.join(self.root, "front", day(0), "thumbs", "video_000030.jpg")
        deadline = time.monotonic() + 40
        while not os.path.exists(thumb) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertTrue(os.path.exists(thumb), self.site.logs())
        hdrs, body = self.assertStatus("/front/%s/thumbs/video_000030.jpg" % day(0), 200)
        self.assertEqual(hdrs.get("content-type"), "image/jpeg")


if __name__ == "__main__":
    harness.main()
