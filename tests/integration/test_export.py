#!/usr/bin/python3
"""Exact-range MP4 export (cctv-export) through real nginx on a synthetic archive of
10 s segments (a keyframe every 2 s) of one camera in Europe/Berlin: ranges inside one
segment, across segments, across midnight, inside a converted (H.265) day and across
the H.265 -> H.264 boundary (409); the /api/1/camera/... URL shape; hostile input; and
the cost of a one-hour export (360 segments), printed for docs/api.md.

For each exported clip: ffprobe's duration is the requested one within a GOP, the first
packet is a keyframe, the first shown frame is at `from` within a GOP (edit list), and
`ffmpeg -v error -i URL -f null -` decodes it to the end without a message."""
import datetime as dt
import http.client
import json
import os
import re
import sys
import tempfile
import time
import urllib.parse
from zoneinfo import ZoneInfo

import harness
from harness import BIN, day

SEG_S = 10
FPS = 10
GOP_S = 2.0
TZ = "Europe/Berlin"
CAMERA = {"cameraName": "front", "directory": "front", "timeZone": TZ}

D_MID1, D_MID2 = day(-20), day(-19)     # 23:58:00 .. 00:02:00 local, across midnight
D_HOUR = day(-15)                       # 10:00:00 .. 11:00:00 local, 360 segments
D_CONV, D_AFTER = day(-10), day(-9)     # 23:59:00 .. 00:00:00 converted, then H.264


def compact(date):
    return date.replace("-", "")


class Export(harness.SiteTestCase):
    LAYOUT = "multi"
    CAMERAS = [CAMERA]
    EXTRA_CONFIG = {"conversion": {"enabled": True, "afterHours": 1, "settleMinutes": 0,
                                   "preset": "ultrafast"}}
    NEEDS = ("cctv-index", "cctv-playlist", "cctv-export", "cctv-worker")

    @classmethod
    def build_archive(cls):
        segs = harness.synthetic_segments(360, SEG_S, "320x180", FPS)
        harness.lay_out(cls.root, "front", D_MID1, "235800", segs[:12])
        harness.lay_out(cls.root, "front", D_MID2, "000000", segs[12:24])
        harness.lay_out(cls.root, "front", D_HOUR, "100000", segs)
        harness.lay_out(cls.root, "front", D_CONV, "235900", segs[:6])
        harness.lay_out(cls.root, "front", D_AFTER, "000000", segs[6:12])

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            res = harness.run([os.path.join(BIN, "cctv-worker"), "--config", cls.config_path,
                               "--convert-now", D_CONV, "--camera", "front"], timeout=600)
            if res.returncode != 0:
                raise RuntimeError("--convert-now %s failed: %s" % (D_CONV, res.stderr))
        except BaseException:
            cls.tearDownClass()
            raise
        cls.tmp = tempfile.mkdtemp(prefix="export-", dir=cls.work)

    # -- helpers ---------------------------------------------------------------------------
    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.site.port, path)

    def fetch(self, path, method="GET", headers=None):
        """(status, headers, file with the body, seconds to the first byte, total seconds)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=120)
        out = os.path.join(self.tmp, "clip-%d.mp4" % len(os.listdir(self.tmp)))
        t0 = time.monotonic()
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            first = None
            with open(out, "wb") as f:
                while True:
                    chunk = resp.read1(1 << 16) if method != "HEAD" else b""
                    if first is None:
                        first = time.monotonic() - t0
                    if not chunk:
                        break
                    f.write(chunk)
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, hdrs, out, first, time.monotonic() - t0
        finally:
            conn.close()

    def probe(self, target):
        res = harness.run(["ffprobe", "-v", "error", "-of", "json", "-show_entries",
                           "format=start_time,duration:stream=codec_name,width,height",
                           target], timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        return json.loads(res.stdout)

    def first_packet_and_frame(self, target):
        res = harness.run(["ffprobe", "-v", "error", "-of", "json", "-select_streams", "v",
                           "-show_entries", "packet=pts_time,flags", "-read_intervals", "%+#1",
                           "-show_packets", target], timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        packet = json.loads(res.stdout)["packets"][0]
        res = harness.run(["ffprobe", "-v", "error", "-of", "json", "-select_streams", "v",
                           "-show_entries", "frame=best_effort_timestamp_time,pict_type",
                           "-read_intervals", "%+#1", "-show_frames", target], timeout=120)
        self.assertEqual(res.returncode, 0, res.stderr)
        frame = json.loads(res.stdout)["frames"][0]
        return packet, frame

    def assertPlays(self, target):
        res = harness.run(["ffmpeg", "-v", "error", "-nostdin", "-i", target, "-f", "null", "-"],
                          timeout=600)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr.strip(), "", "ffmpeg reported errors for %s" % target)

    def assertClip(self, path, seconds, codec="h264", file_name=None):
        """GETs an export and checks it as the issue asks; returns the fetch result."""
        status, hdrs, out, ttfb, total = self.fetch(path)
        with open(out, "rb") as f:
            head = f.read(300)
        self.assertEqual(status, 200, "%s answered %d: %r%s" % (path, status, head,
                                                               self.site.logs()))
        self.assertEqual(hdrs.get("content-type"), "video/mp4")
        disposition = hdrs.get("content-disposition", "")
        self.assertRegex(disposition, r'^attachment; filename="front_\d{8}-\d{6}_\d{8}-\d{6}\.mp4"$')
        if file_name:
            self.assertIn('"%s"' % file_name, disposition)
        info = self.probe(out)
        self.assertEqual(info["streams"][0]["codec_name"], codec)
        duration = float(info["format"]["duration"])
        start = float(info["format"].get("start_time", 0))
        self.assertLessEqual(abs(duration - seconds), GOP_S, "%s: duration %.3f for %.3f s"
                             % (path, duration, seconds))
        self.assertLessEqual(abs(start), GOP_S, "%s: start_time %.3f" % (path, start))
        packet, frame = self.first_packet_and_frame(out)
        self.assertIn("K", packet["flags"], "%s: first packet %r" % (path, packet))
        shown = float(frame["best_effort_timestamp_time"])
        self.assertLessEqual(abs(shown - start), GOP_S, "%s: first shown frame at %.3f"
                             % (path, shown))
        self.assertPlays(out)
        self.assertPlays(self.url(path))
        return status, hdrs, out, ttfb, total

    @staticmethod
    def q(**params):
        return "/export.mp4?" + urllib.parse.urlencode(params)

    # -- ranges ----------------------------------------------------------------------------
    def test_inside_one_segment(self):
        # 10:00:13 .. 10:00:17 local: inside video_100010.ts, `from` between keyframes.
        self.assertClip(self.q(camera="front", **{"from": D_HOUR + "T10:00:13", "to": D_HOUR + "T10:00:17"}),
                        4, file_name="front_%s-100013_%s-100017.mp4"
                        % (compact(D_HOUR), compact(D_HOUR)))

    def test_across_segments_with_offset_and_z(self):
        local = dt.datetime.fromisoformat(D_HOUR + "T10:05:07").replace(tzinfo=ZoneInfo(TZ))
        frm = local.isoformat()  # +01:00 or +02:00
        to = (local + dt.timedelta(seconds=95)).astimezone(dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.000Z")
        self.assertClip(self.q(**{"from": frm, "to": to}), 95)  # camera is optional

    def test_across_midnight(self):
        self.assertClip(self.q(camera="front", **{"from": D_MID1 + "T23:59:05",
                                                  "to": D_MID2 + "T00:01:03"}), 118)

    def test_api_url_shape(self):
        path = "/api/1/camera/front.range.%s.2359.to.%s.0001.mp4" % (compact(D_MID1),
                                                                   compact(D_MID2))
        self.assertClip(path, 120, file_name="front_%s-235900_%s-000100.mp4"
                        % (compact(D_MID1), compact(D_MID2)))
        # The API's own resources still answer (the longer prefix is camera/, not cameras/).
        code, _, _ = self.get("/api/1/cameras.json")
        self.assertIn(code, (200, 404))  # 404 only when cctv-api is not built
        self.assertOneLine("/api/1/camera/front.range.%s.2459.to.%s.0001.mp4"
                           % (compact(D_MID1), compact(D_MID2)), (400,))

    def test_inside_a_converted_day(self):
        self.assertClip(self.q(**{"from": D_CONV + "T23:59:12", "to": D_CONV + "T23:59:50"}), 38,
                        codec="hevc")

    def test_across_the_converted_day_boundary_is_409(self):
        code, text = self.assertOneLine(self.q(**{"from": D_CONV + "T23:59:30",
                                                  "to": D_AFTER + "T00:00:30"}), (409,))
        self.assertIn("codec change", text)

    def test_head(self):
        status, hdrs, _, _, _ = self.fetch(self.q(**{"from": D_HOUR + "T10:00:13",
                                                     "to": D_HOUR + "T10:00:17"}), "HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(hdrs.get("content-type"), "video/mp4")

    def test_content_length_and_byte_ranges(self):
        """HEAD sizes the MP4 (made once, dropped); range requests get exactly those bytes
        of the full download (a resumed or seeking download), and a changed entity (If-Range
        with another tag) gets the whole MP4."""
        for path, codec in ((self.q(**{"from": D_HOUR + "T10:20:07", "to": D_HOUR + "T10:21:42"}),
                             "h264"),
                            (self.q(**{"from": D_CONV + "T23:59:03", "to": D_CONV + "T23:59:41"}),
                             "hevc")):
            status, head, _, _, _ = self.fetch(path, "HEAD")
            self.assertEqual(status, 200)
            size = int(head["content-length"])
            tag = head["etag"]
            self.assertEqual(head.get("accept-ranges"), "bytes")
            self.assertRegex(tag, r'^"[0-9a-f]{16}"$')
            status, hdrs, out, _, _ = self.fetch(path)
            self.assertEqual(status, 200)
            with open(out, "rb") as f:
                full = f.read()
            self.assertEqual(len(full), size, path)
            self.assertEqual(hdrs.get("content-length"), str(size))  # known by now
            self.assertEqual(hdrs.get("etag"), tag)
            self.assertEqual(self.probe(out)["streams"][0]["codec_name"], codec)
            status, _, out, _, _ = self.fetch(path, headers={"If-None-Match": tag})
            self.assertEqual((status, os.path.getsize(out)), (304, 0))
            cut = size // 3
            parts = []
            for rng, first, last in (("bytes=0-%d" % cut, 0, cut),
                                     ("bytes=%d-" % (cut + 1), cut + 1, size - 1)):
                status, hdrs, out, _, _ = self.fetch(path, headers={"Range": rng,
                                                                    "If-Range": tag})
                self.assertEqual(status, 206, rng)
                self.assertEqual(hdrs.get("content-range"), "bytes %d-%d/%d" % (first, last, size))
                self.assertEqual(hdrs.get("content-length"), str(last - first + 1))
                with open(out, "rb") as f:
                    parts.append(f.read())
            self.assertEqual(parts[0] + parts[1], full, "a resumed download differs")
            status, _, out, _, _ = self.fetch(path, headers={"Range": "bytes=-1000"})
            self.assertEqual(status, 206)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), full[-1000:])
            status, hdrs, _, _, _ = self.fetch(path, headers={"Range": "bytes=%d-" % size})
            self.assertEqual(status, 416)
            self.assertEqual(hdrs.get("content-range"), "bytes */%d" % size)
            self.assertRanges(path, full, tag)
            # Another entity: the whole MP4; several ranges: the whole MP4 too.
            for headers in ({"Range": "bytes=0-99", "If-Range": '"0000000000000000"'},
                            {"Range": "bytes=0-9,20-29"}):
                status, _, out, _, _ = self.fetch(path, headers=headers)
                self.assertEqual(status, 200, headers)
                self.assertEqual(os.path.getsize(out), size, headers)

    def assertRanges(self, path, full, tag):
        """Ranges in the middle and at the end are made from the fragment they start in
        (logged "from fragment K", never the fallback) and are the full download's bytes;
        the full MP4 plays to its end."""
        size = len(full)
        log_path = self.site.log_path("cctv-export")
        with open(log_path, encoding="utf-8", errors="replace") as f:
            skip = len(f.read())
        ranges = ((size // 2, size // 2 + 99999), (size // 2 + 1, size // 2 + 1),
                  (size * 3 // 5, size * 4 // 5), (size * 9 // 10, size - 1),
                  (size - 20000, size - 1), (size - 1, size - 1), (size // 4, size - 1))
        for first, last in ranges:
            rng = "bytes=%d-%d" % (first, last)
            status, hdrs, out, _, _ = self.fetch(path, headers={"Range": rng, "If-Range": tag})
            self.assertEqual(status, 206, rng)
            self.assertEqual(hdrs.get("content-range"), "bytes %d-%d/%d" % (first, last, size))
            with open(out, "rb") as f:
                self.assertEqual(f.read(), full[first:last + 1], "%s differs" % rng)
        with open(log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()[skip:]
        resumed = re.findall(r"\(bytes \d+-\d+\) from fragment \d+:", log)
        self.assertEqual(len(resumed), len(ranges), log[-3000:])
        self.assertNotIn("making it from the start", log)
        with open(os.path.join(self.tmp, "full-%d.mp4" % size), "wb") as f:
            f.write(full)
        self.assertPlays(f.name)

    # -- refusals --------------------------------------------------------------------------
    def test_hostile_and_malformed_requests_are_400(self):
        f, t = D_HOUR + "T10:00:00", D_HOUR + "T10:01:00"
        for params in ({"from": "yesterday", "to": t}, {"from": f, "to": "../../etc/passwd"},
                       {"from": f}, {"to": t}, {"from": t, "to": f}, {"from": f, "to": f},
                       {"from": f + "\x00", "to": t}, {"from": f, "to": t + "Z' OR 1=1"},
                       {"from": "9" * 500, "to": t}, {"from": f, "to": t, "camera": "../front"},
                       {"from": f, "to": t, "camera": "front/../../etc"},
                       {"from": f, "to": t, "camera": "<script>"},
                       {"from": D_HOUR + "T25:00:00", "to": t}):
            self.assertOneLine(self.q(**params), (400,))
        self.assertOneLine("/export.mp4?from=%s&from=%s&to=%s" % (f, f, t), (400,))
        self.assertOneLine("/export.mp4?from=%ZZ&to=" + t, (400,))

    def test_unknown_camera_no_recording_and_too_long(self):
        f, t = D_HOUR + "T10:00:00", D_HOUR + "T10:01:00"
        self.assertOneLine(self.q(camera="nobody", **{"from": f, "to": t}), (404,))
        self.assertOneLine(self.q(**{"from": D_HOUR + "T03:00:00", "to": D_HOUR + "T03:10:00"}),
                           (404,))
        _, text = self.assertOneLine(self.q(**{"from": D_HOUR + "T09:00:00",
                                               "to": D_HOUR + "T10:00:01"}), (413,))
        self.assertIn("export.maxMinutes", text)

    def test_client_gone_mid_download(self):
        """A client that hangs up stops the export (logged), and the program serves on."""
        path = self.q(**{"from": D_HOUR + "T10:00:00", "to": D_HOUR + "T10:50:00"})
        conn = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=60)
        conn.request("GET", path)
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.read(200000)), 200000)
        conn.close()
        log_path = self.site.log_path("cctv-export")
        deadline = time.monotonic() + 30
        log = ""
        while "cut short" not in log and time.monotonic() < deadline:
            time.sleep(0.2)
            with open(log_path, encoding="utf-8", errors="replace") as f:
                log = f.read()
        self.assertIn("cut short", log)
        for _ in range(5):  # every accept thread still answers
            code, hdrs, body = self.get(self.q(**{"from": D_HOUR + "T10:00:13",
                                                  "to": D_HOUR + "T10:00:17"}))
            self.assertEqual(code, 200)
            self.assertGreater(len(body), 10000)

    # -- cost ------------------------------------------------------------------------------
    def test_one_hour_cost(self):
        path = self.q(**{"from": D_HOUR + "T10:00:00", "to": D_HOUR + "T11:00:00"})
        _, _, out, ttfb, total = self.assertClip(path, 3600)
        size = os.path.getsize(out)
        with open(self.site.log_path("cctv-export"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        # The first export of the range is the download above (the next ones were read by
        # ffmpeg, at the pace it decodes).
        lines = [l for l in log.splitlines() if "360 files" in l]
        self.assertTrue(lines, log[-2000:])
        m = re.search(r"(\d+) bytes in (\d+) ms, cpu (\d+) ms", lines[0])
        self.assertEqual(int(m.group(1)), size)
        print("\nexport of 1 hour (360 segments of 10 s, 320x180 10 fps, %.1f MB) through "
              "nginx: first byte %.0f ms, all %.0f ms; cctv-export: %s ms, %s ms CPU"
              % (size / 1e6, ttfb * 1000, total * 1000, m.group(2), m.group(3)),
              file=sys.stderr)
        # A seek into the middle of the same hour: the first range request (or HEAD; ffmpeg
        # reading the URL above may have sent one) sizes the MP4 (made once and dropped);
        # every range request makes it again from the fragment the range starts in.
        status, hdrs, out, ttfb, total = self.fetch(path, headers={
            "Range": "bytes=%d-%d" % (size // 2, size // 2 + (1 << 20) - 1)})
        self.assertEqual(status, 206)
        self.assertEqual(hdrs.get("content-range"), "bytes %d-%d/%d"
                         % (size // 2, size // 2 + (1 << 20) - 1, size))
        self.assertEqual(os.path.getsize(out), 1 << 20)
        with open(self.site.log_path("cctv-export"), encoding="utf-8", errors="replace") as f:
            sized = [l for l in f.read().splitlines() if ": sized %d bytes" % size in l]
        self.assertTrue(sized)
        m = re.search(r"sized \d+ bytes, \d+ checkpoints in (\d+) ms, cpu (\d+) ms", sized[-1])
        print("sizing it: %s ms, %s ms CPU; a 1 MB range in its middle: first byte %.0f ms, "
              "all %.0f ms" % (m.group(1), m.group(2), ttfb * 1000, total * 1000),
              file=sys.stderr)
        status, _, _, ttfb, total = self.fetch(path, headers={
            "Range": "bytes=%d-%d" % (size // 4, size // 4 + (1 << 20) - 1)})
        self.assertEqual(status, 206)
        print("a 1 MB range at its first quarter: first byte %.0f ms, all %.0f ms"
              % (ttfb * 1000, total * 1000), file=sys.stderr)

if __name__ == "__main__":
    harness.main()
