#!/usr/bin/python3
"""The JSON API (cctv-api) through real nginx on a generated two-camera archive: field
names and values checked against the archive as it was built (fixture durations and
file names), every URL it gives fetched back, hostile paths refused with JSON errors."""
import datetime as dt
import json
import os
import re

import harness
from harness import day

EXPECTED_KEYS = {
    "system": {"version", "time", "status", "problems", "cameras", "disk"},
    "camera": {"name", "timeZone", "days", "firstDate", "lastDate", "bytes", "recordedSeconds",
               "daysUrl"},
    "day": {"date", "state", "recordedSeconds", "gaps", "gapSeconds", "bytes", "pieces",
            "firstStart", "lastEnd", "conversionFailures", "playlistUrl", "timelapseUrl",
            "segmentsUrl"},
    "segment": {"start", "duration", "url", "name", "bytes", "codec"},
}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


class Api(harness.MultiSiteTestCase):
    NEEDS = ("cctv-index", "cctv-playlist", "cctv-api", "cctv-worker")

    def json(self, path, status=200):
        code, hdrs, body = self.get(path)
        self.assertEqual(code, status, "%s answered %d: %r" % (path, code, body[:300]))
        self.assertEqual(hdrs.get("content-type"), "application/json; charset=utf-8", path)
        return json.loads(body)

    def test_system_json(self):
        j = self.json("/api/1/system.json")
        self.assertEqual(set(j), EXPECTED_KEYS["system"])
        with open(os.path.join(harness.REPO, "CMakeLists.txt")) as f:
            version = re.search(r"project\(\S+ VERSION (\S+)", f.read()).group(1)
        self.assertEqual(j["version"], version)
        self.assertEqual(j["status"], "running", j["problems"])
        self.assertEqual([c["name"] for c in j["cameras"]], ["back", "front"])
        st = os.statvfs(self.root)
        self.assertGreater(j["disk"]["totalBytes"], 0)
        self.assertAlmostEqual(j["disk"]["totalBytes"], st.f_blocks * st.f_frsize, delta=1)
        on_disk = sum(os.path.getsize(os.path.join(self.root, p.uri.lstrip("/")))
                      for p in self.archive.placed)
        self.assertEqual(j["disk"]["archiveBytes"], on_disk)
        now = dt.datetime.now(dt.timezone.utc)
        reported = dt.datetime.strptime(j["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=dt.timezone.utc)
        self.assertLess(abs((now - reported).total_seconds()), 60)

    def test_cameras_json(self):
        cams = {c["name"]: c for c in self.json("/api/1/cameras.json")["cameras"]}
        self.assertEqual(set(cams), {"front", "back"})
        for c in cams.values():
            self.assertEqual(set(c), EXPECTED_KEYS["camera"])
            self.assertEqual(c["timeZone"], "UTC")
        self.assertEqual(cams["front"]["days"], 4)
        self.assertEqual(cams["front"]["firstDate"], day(-3))
        self.assertEqual(cams["front"]["lastDate"], day(0))
        self.assertEqual(cams["back"]["days"], 1)
        front = [p for p in self.archive.placed if p.camdir == "front"]
        self.assertAlmostEqual(cams["front"]["recordedSeconds"],
                               sum(p.seg.duration for p in front), delta=0.1 * len(front))
        # The URL it gives works.
        self.json(cams["back"]["daysUrl"])

    def test_days_json_matches_the_archive(self):
        j = self.json("/api/1/cameras/front/days.json")
        self.assertEqual(j["camera"], "front")
        self.assertEqual(j["timeZone"], "UTC")
        days = {d["date"]: d for d in j["days"]}
        self.assertEqual(set(days), {day(-3), day(-2), day(-1), day(0)})
        for date, d in days.items():
            self.assertEqual(set(d), EXPECTED_KEYS["day"])
            placed = self.archive.day_segments("front", date)
            self.assertEqual(d["pieces"], len(placed), date)
            self.assertEqual(d["bytes"], sum(os.path.getsize(os.path.join(
                self.root, p.uri.lstrip("/"))) for p in placed), date)
            self.assertAlmostEqual(d["recordedSeconds"], sum(p.seg.duration for p in placed),
                                   delta=0.1 * len(placed))
            self.assertEqual(d["firstStart"], iso(placed[0].start), date)
            code, _, _ = self.get(d["playlistUrl"])
            self.assertEqual(code, 200, d["playlistUrl"])
            # No worker daemon here: no timelapse yet (test_timelapse.py covers the URL).
            self.assertIsNone(d["timelapseUrl"], date)
        self.assertEqual(days[day(-3)]["gaps"], len(harness.expected_breaks(
            self.archive.day_segments("front", day(-3)))))
        self.assertEqual(days[day(-3)]["gaps"], 1)
        self.assertEqual(days[day(-2)]["gaps"], 0)

    def test_moments_json(self):
        # The directory is the list: only exact moment names, newest first.
        moments = os.path.join(self.root, "cam2", "moments")
        os.makedirs(moments, exist_ok=True)
        for name in ("moment_2026-11-20_101500.mp4", "moment_2026-11-20_101500-2.mp4",
                     "moment_2026-11-21_090000.gif", ".moment_2026-11-21_090001.gif.x.part",
                     "notes.txt"):
            with open(os.path.join(moments, name), "wb") as f:
                f.write(b"x" * 7)
        j = self.json("/api/1/cameras/back/moments.json")
        self.assertEqual(j["camera"], "back")
        self.assertEqual([(m["time"], m["format"], m["bytes"], m["url"]) for m in j["moments"]],
                         [("2026-11-21T09:00:00.000Z", "gif", 7,
                           "/cam2/moments/moment_2026-11-21_090000.gif"),
                          ("2026-11-20T10:15:00.000Z", "mp4", 7,
                           "/cam2/moments/moment_2026-11-20_101500-2.mp4"),
                          ("2026-11-20T10:15:00.000Z", "mp4", 7,
                           "/cam2/moments/moment_2026-11-20_101500.mp4")])
        for m in j["moments"]:
            code, _, body = self.get(m["url"])
            self.assertEqual((code, body), (200, b"x" * 7), m["url"])
        for other in ("notes.txt", ".moment_2026-11-21_090001.gif.x.part"):
            code, _, _ = self.get("/cam2/moments/" + other)
            self.assertEqual(code, 404, other)  # nginx serves exact moment names only
        self.assertEqual(self.json("/api/1/cameras/front/moments.json")["moments"], [])
        code, hdrs, body = self.get("/api/1/cameras/nope/moments.json")
        self.assertEqual(code, 404)
        self.assertEqual(json.loads(body)["error"]["status"], 404)

    def test_segments_json_points_at_the_files(self):
        date = day(-3)
        j = self.json("/api/1/cameras/front/%s/segments.json" % date)
        self.assertEqual(j["kind"], "segments")
        placed = self.archive.day_segments("front", date)
        self.assertEqual([s["name"] for s in j["items"]], [p.name for p in placed])
        for item, p in zip(j["items"], placed):
            self.assertEqual(set(item), EXPECTED_KEYS["segment"])
            self.assertEqual(item["start"], iso(p.start))
            self.assertAlmostEqual(item["duration"], p.seg.duration, delta=0.1)
            self.assertTrue(item["codec"].startswith("h264 "), item["codec"])
        # Every URL serves the very file (through nginx's static location).
        for item, p in list(zip(j["items"], placed))[:4]:
            code, _, body = self.get(item["url"])
            self.assertEqual(code, 200, item["url"])
            with open(os.path.join(self.root, p.uri.lstrip("/")), "rb") as f:
                self.assertEqual(body, f.read(), item["url"])
        # The second camera's directory differs from its name.
        back = self.json("/api/1/cameras/back/%s/segments.json" % day(-1))
        self.assertTrue(back["items"][0]["url"].startswith("/cam2/%s/video_" % day(-1)))

    def test_hostile_paths_get_json_errors(self):
        for path, status in (("/api/1/cameras/nope/days.json", 404),
                             ("/api/1/cameras/front/2026-02-30/segments.json", 400),
                             ("/api/1/cameras/front/1999-01-01/segments.json", 404),
                             ("/api/1/cameras/%2e%2e/days.json", 400),
                             ("/api/1/cameras/front%00/days.json", 400),
                             ("/api/1/cameras/front/days.json?x=%zz", 400),
                             ("/api/1/whatever", 404),
                             ("/api/1/cameras/front/" + "a" * 3000 + "/segments.json", 400)):
            code, hdrs, body = self.get(path)
            self.assertEqual(code, status, "%s answered %d: %r" % (path[:80], code, body[:200]))
            if hdrs.get("content-type", "").startswith("application/json"):
                err = json.loads(body)["error"]
                self.assertEqual(err["status"], status)
                self.assertNotIn("\n", err["message"])
        code, _, _ = self.get("/api/1/system.json", method="POST")
        self.assertEqual(code, 405)


if __name__ == "__main__":
    harness.main()
