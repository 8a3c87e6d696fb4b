#!/usr/bin/python3
"""A camera streamer's PUT through nginx's WebDAV location, with the worker daemon
running: the segment is in the playlist within 2 s; refused uploads leave no trace."""
import base64
import os
import time

import harness
from harness import day

USER, PASSWORD = "streamer", "pa55:word"


class UploadWithWorker(harness.MultiSiteTestCase):
    WORKER_DAEMON = True
    UPLOAD_USERS = ("%s:%s" % (USER, PASSWORD),)

    @classmethod
    def site_started(cls):
        # The daemon indexes the archive when it starts.
        query = "/playlist.m3u8?camera=front&date=" + day(0)
        cls.wait_until(lambda: cls.site.get(query)[0] == 200, 30,
                       "the worker to index the archive")

    def put(self, rel, data, password=PASSWORD):
        auth = base64.b64encode(("%s:%s" % (USER, password)).encode()).decode()
        return self.site.request("PUT", "/upload/" + rel,
                                 {"Authorization": "Basic " + auth, "Expect": "100-continue",
                                  "Content-Length": str(len(data))}, data)

    @staticmethod
    def fixture(i):
        with open(harness.fixture_segments()[i].path, "rb") as f:
            return f.read()

    def wait_for(self, query, uri, timeout=2.0):
        """Seconds until `uri` is in the playlist, or fails after `timeout`."""
        start = time.monotonic()
        while True:
            code, hdrs, body = self.get(query)
            if code == 200 and uri.encode() in body:
                return time.monotonic() - start, harness.Playlist(body.decode())
            if time.monotonic() - start > timeout:
                self.fail("%s not in %s after %.1f s (last answer %d)%s"
                          % (uri, query, timeout, code, self.site.logs()))
            time.sleep(0.05)

    def test_put_appears_in_the_playlist(self):
        query = "/playlist.m3u8?camera=front&date=" + day(0)
        before, _ = self.playlist(query)
        # The next segment of today's run: fixture 4 starts 12 s into the recording.
        rel = "front/%s/video_000012.ts" % day(0)
        code, hdrs, body = self.put(rel, self.fixture(4))
        self.assertEqual(code, 201, body)
        took, after = self.wait_for(query, "/" + rel)
        self.assertLess(took, 2.0)
        self.assertEqual(after.media_sequence, before.media_sequence)
        self.assertEqual(after.uris[:len(before.uris)], before.uris)
        self.assertEqual(after.uris[-1], "/" + rel)
        self.assertFalse(after.segments[-1]["discontinuity"])
        self.assertAlmostEqual(after.segments[-1]["duration"],
                               harness.fixture_segments()[4].duration, delta=0.06)
        self.assertEqual(harness.check_playlist(after, closed=False), [], after.text)
        # The live playlist grows the same way.
        code, hdrs, body = self.get("/playlist.m3u8?camera=front&date=%s&live=1" % day(-1))
        self.assertIn(("/" + rel).encode(), body)

    def test_put_starts_a_new_day(self):
        rel = "cam2/%s/video_063000.ts" % day(0)
        code, hdrs, body = self.put(rel, self.fixture(0))
        self.assertEqual(code, 201, body)
        took, pl = self.wait_for("/playlist.m3u8?camera=back&date=" + day(0), "/" + rel)
        self.assertLess(took, 2.0)
        self.assertEqual(pl.uris, ["/" + rel])
        code, hdrs, body = self.get("/playlist.m3u8?camera=back&live=1")
        self.assertEqual(hdrs.get("location"), "/playlist.m3u8?camera=back&date=%s&live=1" % day(0))

    def test_refused_uploads_leave_nothing(self):
        query = "/playlist.m3u8?camera=front&date=" + day(0)
        rel = "front/%s/video_010000.ts" % day(0)
        code, hdrs, body = self.put(rel, self.fixture(0), password="wrong")
        self.assertEqual(code, 401)
        for bad in ("front/%s/video_0100.ts" % day(0), "front/%s/video_010000.ts.part" % day(0),
                    "front/%s/.video_010000.ts" % day(0), "newcam/%s/video_010000.ts" % day(0)):
            code, hdrs, body = self.put(bad, self.fixture(0))
            self.assertIn(code, (404, 405), bad)
            self.assertFalse(os.path.exists(os.path.join(self.root, bad)), bad)
        self.assertFalse(os.path.exists(os.path.join(self.root, rel)))
        time.sleep(1.5)
        code, hdrs, body = self.get(query)
        self.assertNotIn(b"video_010000.ts", body)


if __name__ == "__main__":
    harness.main()
