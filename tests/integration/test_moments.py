#!/usr/bin/python3
"""Frame and moment (issue 6, part 4) through nginx and cctv-export:
- a real RTSP camera (tests/peers/fakecam.py) recorded by the worker daemon in 2 s
  segments: GET /frame.jpg is a JPEG of the camera's picture taken within seconds;
  GET /moment.mp4?length=6&delay=2 is an H.264 MP4 of about 6 s that starts on a keyframe
  and decodes to the end; /moment.gif is an animated GIF of about 5 s; both are saved in
  <camera>/moments/, served by nginx at their Content-Location, listed by the API and on
  the index page; HEAD is refused (it would save one);
- hostile length/delay/camera values: 400/404 with a one-line reason, at once;
- an archive of uploaded segments only (no recorder): frame.jpg is the last keyframe of
  the newest segment (its time in X-Frame-Time, checked against ffprobe).
"""
import datetime as dt
import json
import os
import subprocess
import time

import harness
from harness import FakeCam

FPS = 10
SIZE = "320x180"
GOP_S = 1.0  # fakecam --gop 10 at 10 fps


def ffprobe_json(path, *args):
    res = subprocess.run(["ffprobe", "-v", "error", "-of", "json"] + list(args) + [path],
                         capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise AssertionError("ffprobe %s: %s" % (path, res.stderr))
    return json.loads(res.stdout)


def parse_utc(text):
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=dt.timezone.utc).timestamp()


class MomentsFromCamera(harness.SiteTestCase):
    """An empty archive; a real camera recorded by the worker daemon."""
    NEEDS = ("cctv-worker", "cctv-export", "cctv-api", "cctv-index")
    WORKER_DAEMON = True
    EXTRA_CONFIG = {"conversion": {"enabled": False}}
    cam = None

    @classmethod
    def build_archive(cls):
        harness.require_fakecam()
        cls.cam = FakeCam(cls.work, "cam1", fps=FPS, size=SIZE, gop=int(GOP_S * FPS))
        cls.cam.start()
        cls.CAMERAS = [{"cameraName": "cam1", "url": cls.cam.url(), "segmentSeconds": 2,
                        "timeZone": "UTC"}]

    @classmethod
    def site_started(cls):
        # Five closed segments (about 9 s): enough footage before the first moment.
        cls.wait_until(lambda: len(cls.segments()) >= 5, 40, "five recorded segments")

    @classmethod
    def tearDownClass(cls):
        if cls.site is not None:
            cls.site.stop()  # the recorder, then its camera
        if cls.cam is not None:
            cls.cam.stop()
        super().tearDownClass()

    @classmethod
    def segments(cls):
        out = []
        camdir = os.path.join(cls.root, "cam1")
        for d in sorted(os.listdir(camdir)) if os.path.isdir(camdir) else ():
            day = os.path.join(camdir, d)
            if os.path.isdir(day) and d[:2] == "20":
                out += [os.path.join(day, n) for n in sorted(os.listdir(day)) if n.endswith(".ts")]
        return out

    def fetch(self, path, content_type, tmp_name):
        t0 = time.monotonic()
        code, hdrs, body = self.get(path)
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 200, "%s: %d %r%s" % (path, code, body[:300], self.site.logs()))
        self.assertEqual(hdrs.get("content-type"), content_type)
        self.assertEqual(hdrs.get("cache-control"), "no-store")
        out = os.path.join(self.work, tmp_name)
        with open(out, "wb") as f:
            f.write(body)
        return hdrs, body, out, elapsed

    def assertSaved(self, hdrs, body, suffix, content_type):
        """The answer was saved in cam1/moments/ and nginx serves it at Content-Location."""
        location = hdrs.get("content-location", "")
        self.assertRegex(location, r"^/cam1/moments/moment_\d{4}-\d\d-\d\d_\d{6}\.%s$" % suffix)
        saved = os.path.join(self.root, location.lstrip("/"))
        with open(saved, "rb") as f:
            self.assertEqual(f.read(), body)
        self.assertFalse(os.path.exists(saved + ".part"))
        code, shdrs, served = self.get(location)
        self.assertEqual(code, 200, location)
        self.assertEqual(shdrs.get("content-type"), content_type)
        self.assertEqual(served, body)
        return location

    # -- frame ---------------------------------------------------------------------------
    def test_frame_is_a_recent_jpeg_of_the_camera(self):
        hdrs, body, path, _ = self.fetch("/frame.jpg?camera=cam1", "image/jpeg", "frame.jpg")
        self.assertEqual(body[:2], b"\xff\xd8")
        stream = ffprobe_json(path, "-show_entries", "stream=codec_name,width,height")["streams"][0]
        self.assertEqual(stream, {"codec_name": "mjpeg", "width": 320, "height": 180})
        # The newest keyframe: 2 s segments, a keyframe a second, read from the segment
        # being written when there is one.
        age = time.time() - parse_utc(hdrs["x-frame-time"])
        self.assertTrue(-1.0 <= age <= 2 + 2 * GOP_S + 1.5, "frame is %.2f s old" % age)
        self.assertIn('filename="cam1_', hdrs.get("content-disposition", ""))
        # Without camera=: the only camera.
        code, _, body2 = self.get("/frame.jpg")
        self.assertEqual(code, 200)
        self.assertEqual(body2[:2], b"\xff\xd8")

    # -- moments -------------------------------------------------------------------------
    made = {}  # format -> fetch(), once per class: the listing test needs both

    def moment(self, fmt):
        if fmt not in self.made:
            query = "length=5&delay=0" if fmt == "gif" else "length=6&delay=2"
            asked = time.time()
            self.made[fmt] = (asked,) + self.fetch("/moment.%s?camera=cam1&%s" % (fmt, query),
                                                   "image/gif" if fmt == "gif" else "video/mp4",
                                                   "moment." + fmt)
        return self.made[fmt]

    def test_moment_gif(self):
        _, hdrs, body, path, elapsed = self.moment("gif")
        self.assertEqual(body[:6], b"GIF89a")
        info = ffprobe_json(path, "-count_frames", "-show_entries",
                            "stream=codec_name,width,height,nb_read_frames:format=duration")
        stream = info["streams"][0]
        self.assertEqual((stream["codec_name"], stream["width"], stream["height"]),
                         ("gif", 320, 180))
        # 5 s at 8 frames a second (GifOptions).
        # (The pre-roll from the keyframe before the start is left out.)
        frames = int(stream["nb_read_frames"])
        self.assertTrue(5 * 8 - 4 <= frames <= 5 * 8 + 1, frames)
        duration = float(info["format"]["duration"])
        self.assertAlmostEqual(duration, 5.0, delta=0.5)
        self.assertSaved(hdrs, body, "gif", "image/gif")

    def test_moment_mp4(self):
        asked, hdrs, body, path, elapsed = self.moment("mp4")
        # It waited for its delay, and then at most for the 2 s segment holding its end.
        self.assertGreaterEqual(elapsed, 2.0)
        self.assertLess(elapsed, 2 + 2 + 2 * GOP_S + 8, "answered after %.1f s" % elapsed)
        info = ffprobe_json(path, "-show_entries",
                            "stream=codec_name,width,height:format=duration")
        self.assertEqual(info["streams"][0],
                         {"codec_name": "h264", "width": 320, "height": 180})
        self.assertAlmostEqual(float(info["format"]["duration"]), 6.0, delta=GOP_S + 0.2)
        first = ffprobe_json(path, "-select_streams", "v", "-show_entries", "packet=flags",
                             "-read_intervals", "%+#1")["packets"][0]
        self.assertTrue(first["flags"].startswith("K"), first)
        # Plays to the end without an error.
        res = subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", path, "-f", "null", "-"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual((res.returncode, res.stderr), (0, ""))
        location = self.assertSaved(hdrs, body, "mp4", "video/mp4")
        # Named after the moment it was asked for (the event), in the camera's time (UTC).
        stamp = dt.datetime.strptime(os.path.basename(location),
                                     "moment_%Y-%m-%d_%H%M%S.mp4").replace(
                                         tzinfo=dt.timezone.utc).timestamp()
        self.assertTrue(asked - 1.5 <= stamp <= asked + 3.0, (stamp, asked))

    def test_moments_are_listed_by_the_api_and_the_index(self):
        self.moment("gif")
        self.moment("mp4")
        code, hdrs, body = self.get("/api/1/cameras/cam1/moments.json")
        self.assertEqual(code, 200, body)
        listed = json.loads(body)
        self.assertEqual(listed["camera"], "cam1")
        on_disk = sorted(os.listdir(os.path.join(self.root, "cam1", "moments")))
        self.assertEqual(sorted(os.path.basename(m["url"]) for m in listed["moments"]), on_disk)
        self.assertEqual(sorted(m["format"] for m in listed["moments"]), ["gif", "mp4"])
        times = [m["time"] for m in listed["moments"]]
        self.assertEqual(times, sorted(times, reverse=True))
        for m in listed["moments"]:
            self.assertEqual(m["bytes"], os.path.getsize(os.path.join(self.root, m["url"][1:])))
        code, _, page = self.get("/")
        self.assertEqual(code, 200)
        page = page.decode()
        for m in listed["moments"]:
            self.assertIn('href="%s"' % m["url"], page)
        self.assertIn('href="/frame.jpg?camera=cam1"', page)

    def test_hostile_parameters_are_refused_at_once(self):
        cases = [
            ("/moment.mp4?camera=cam1&length=4", 400, "length"),
            ("/moment.mp4?camera=cam1&length=21", 400, "length"),
            ("/moment.gif?camera=cam1&length=1e1", 400, "length"),
            ("/moment.mp4?camera=cam1&length=%2B10", 400, "length"),
            ("/moment.mp4?camera=cam1&delay=11", 400, "delay"),
            ("/moment.mp4?camera=cam1&delay=-1", 400, "delay"),
            ("/moment.mp4?camera=cam1&delay=", 400, "delay"),
            ("/moment.mp4?camera=cam1&length=99999999999999999999", 400, "length"),
            ("/moment.mp4?camera=..%2Fetc", 400, "camera"),
            ("/moment.mp4?camera=nope", 404, "nope"),
            ("/frame.jpg?camera=nope", 404, "nope"),
            ("/frame.jpg?camera=%00", 400, ""),
            ("/moment.gif?camera=cam1&camera=cam1", 400, ""),
        ]
        code, hdrs, _ = self.get("/moment.gif?camera=cam1", method="HEAD")
        self.assertEqual((code, hdrs.get("allow")), (405, "GET"))
        for path, status, word in cases:
            t0 = time.monotonic()
            code, hdrs, body = self.get(path)
            text = body.decode("utf-8", "replace").strip()
            self.assertEqual(code, status, "%s: %d %r" % (path, code, text))
            self.assertTrue(hdrs.get("content-type", "").startswith("text/plain"), path)
            self.assertEqual(text.count("\n"), 0, text)
            self.assertIn(word, text, path)
            self.assertLess(time.monotonic() - t0, 1.5, "%s waited before refusing" % path)
        # Nothing was saved for any of them.
        moments = os.path.join(self.root, "cam1", "moments")
        for name in os.listdir(moments) if os.path.isdir(moments) else ():
            self.assertRegex(name, r"^moment_")


class FrameFromUploads(harness.MultiSiteTestCase):
    """No recorder: segments only (as uploaded by camera streamers)."""
    NEEDS = ("cctv-index", "cctv-playlist", "cctv-worker", "cctv-export")

    def test_frame_is_the_last_keyframe_of_the_newest_segment(self):
        for camera, camdir in (("front", "front"), ("back", "cam2")):
            newest = max((p for p in self.archive.placed if p.camdir == camdir),
                         key=lambda p: p.start)
            hdrs, body = self.assertStatus("/frame.jpg?camera=" + camera, 200)
            self.assertEqual(hdrs.get("content-type"), "image/jpeg")
            self.assertEqual(body[:2], b"\xff\xd8")
            path = os.path.join(self.root, camdir, newest.date, newest.name)
            packets = ffprobe_json(path, "-select_streams", "v",
                                   "-show_entries", "packet=pts_time,flags")["packets"]
            first = min(float(p["pts_time"]) for p in packets)
            last_key = max(float(p["pts_time"]) for p in packets if p["flags"].startswith("K"))
            expected = newest.start.timestamp() + (last_key - first)
            self.assertAlmostEqual(parse_utc(hdrs["x-frame-time"]), expected, delta=0.002,
                                   msg="%s: %s" % (camera, newest.name))
            jpeg = os.path.join(self.work, "frame-%s.jpg" % camera)
            with open(jpeg, "wb") as f:
                f.write(body)
            stream = ffprobe_json(jpeg, "-show_entries", "stream=codec_name,width,height")
            self.assertEqual(stream["streams"][0],
                             {"codec_name": "mjpeg", "width": 640, "height": 360})

    def test_two_cameras_need_a_camera(self):
        code, text = self.assertOneLine("/frame.jpg", (400,))
        self.assertIn("camera", text)


if __name__ == "__main__":
    harness.main()
