#!/usr/bin/python3
"""nginx on its own: static files straight from the archive, what must never be served,
request methods, the web root, and the WebDAV upload location (without the worker)."""
import hashlib
import os

import harness
from harness import day


class StaticMulti(harness.MultiSiteTestCase):
    NEEDS = ()

    @classmethod
    def build_archive(cls):
        super().build_archive()
        a = cls.archive
        cls.mp4 = a.write_file("front/%s/video.mp4" % day(-3), os.urandom(5000))
        digest = hashlib.sha512(open(cls.mp4, "rb").read()).hexdigest()
        a.write_file("front/%s/video.mp4.sha512sum" % day(-3), ("%s  video.mp4\n" % digest).encode())
        # Things that must never be served.
        for rel in ("catalog.sqlite", "config.json", ".hidden", "front/.hidden",
                    "front/%s/video_235900.ts.part" % day(-3),
                    "front/%s/.video_235800.ts" % day(-3),
                    "front/%s/video_100000.ts.duration" % day(-2),
                    "front/%s/notes.txt" % day(-3), "front/%s/video_1000.ts" % day(-3),
                    "front/%s/thumb.jpg" % day(-3), "cam2/%s/index.html" % day(-1),
                    "front/sub/%s/video_100000.ts" % day(-3)):
            a.write_file(rel, b"secret\n")

    def test_segments_are_served_from_disk(self):
        for p in self.archive.placed:
            hdrs, body = self.assertStatus(p.uri, 200)
            self.assertEqual(hdrs["content-type"], "video/mp2t", p.uri)
            self.assertEqual(hdrs["cache-control"], "public, max-age=31536000, immutable")
            self.assertIn("etag", hdrs)
            self.assertIn("last-modified", hdrs)
            self.assertEqual(hdrs.get("x-content-type-options"), "nosniff")
            with open(p.seg.path, "rb") as f:
                self.assertEqual(body, f.read(), p.uri)

    def test_segment_head_range_and_304(self):
        p = self.archive.placed[0]
        code, hdrs, body = self.get(p.uri, method="HEAD")
        self.assertEqual((code, body), (200, b""))
        self.assertEqual(int(hdrs["content-length"]), os.path.getsize(p.seg.path))
        hdrs, body = self.assertStatus(p.uri, 206, {"Range": "bytes=188-375"})
        self.assertEqual(len(body), 188)
        self.assertTrue(hdrs["content-range"].startswith("bytes 188-375/"))
        self.assertStatus(p.uri, 304, {"If-None-Match": hdrs["etag"]})

    def test_day_file_byte_ranges(self):
        uri = "/front/%s/video.mp4" % day(-3)
        hdrs, body = self.assertStatus(uri, 200)
        self.assertEqual(hdrs["content-type"], "video/mp4")
        self.assertEqual(hdrs.get("accept-ranges"), "bytes")
        hdrs, body = self.assertStatus(uri, 206, {"Range": "bytes=100-1099"})
        self.assertEqual(hdrs["content-range"], "bytes 100-1099/5000")
        self.assertEqual(body, open(self.mp4, "rb").read()[100:1100])
        hdrs, body = self.assertStatus(uri + ".sha512sum", 200)
        self.assertTrue(hdrs["content-type"].startswith("text/plain"))
        self.assertTrue(body.decode().endswith("  video.mp4\n"))

    def test_segment_shapes_only(self):
        # Camera dirs that are not configured, reserved names, dates that are not dates.
        for path in ("/front/%s/video_240000.ts" % day(-3), "/front/2026-13-01/video_100000.ts",
                     "/front/%s/video_10000.ts" % day(-3), "/front/%s/VIDEO_100000.TS" % day(-3),
                     "/back/%s/video_120000.ts" % day(-1),  # the camera name, not its directory
                     "/%s/video_120000.ts" % day(-1),  # no legacy form in this layout
                     "/front/sub/%s/video_100000.ts" % day(-3)):
            self.assertStatus(path, 404)

    def test_forbidden_paths(self):
        d3, d2 = day(-3), day(-2)
        for path in ("/catalog.sqlite", "/config.json", "/.hidden", "/front/.hidden",
                     "/front/%s/video_235900.ts.part" % d3, "/front/%s/.video_235800.ts" % d3,
                     "/front/%s/video_100000.ts.duration" % d2, "/front/%s/notes.txt" % d3,
                     "/front/%s/thumb.jpg" % d3, "/cam2/%s/index.html" % day(-1),
                     "/front/", "/front/%s/" % d3, "/front", "/cam2/", "/var/catalog.sqlite",
                     "/front/%s/%%2e%%2e/%%2e%%2e/config.json" % d3,
                     "/front/%s/video_100000.ts%%2epart" % d3, "/front/%s/video_100000.ts/" % d3,
                     "/etc/passwd", "/assets/../config.json", "/index.php/../config.json",
                     "/upload/", "/upload/front/%s/video_100000.ts" % d3, "/.git/config",
                     "/nginx.conf", "/run/htpasswd", "/htpasswd", "/logs/access.log"):
            code, text = self.assertOneLine(path, (403, 404))
        # Escapes above the root are refused while the request line is parsed.
        for path in ("/../config.json", "/%2e%2e/%2e%2e/etc/passwd", "/front/../../etc/passwd",
                     "/front/%s/video_100000.ts%%00.part" % d3):
            self.assertOneLine(path, (400, 403, 404))

    def test_methods(self):
        p = self.archive.placed[0].uri
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "MKCOL",
                       "COPY", "MOVE"):
            for path in (p, "/", "/playlist.m3u8?date=" + day(-3), "/player.html",
                         "/upload/front/%s/video_100000.ts" % day(0)):
                code, hdrs, body = self.get(path, method=method)
                self.assertIn(code, (405, 400) if method == "TRACE" else (405,),
                              "%s %s answered %d" % (method, path, code))
        code, hdrs, body = self.get(p, method="POST")
        self.assertEqual(hdrs.get("allow"), "GET, HEAD")

    def test_webroot(self):
        hdrs, body = self.assertStatus("/player.html", 200)
        self.assertTrue(hdrs["content-type"].startswith("text/html"))
        self.assertIn(b"<video", body)
        self.assertIn("content-security-policy", hdrs)
        for asset, ctype in (("/assets/hls.min.js", "application/javascript"),
                             ("/assets/player.js", "application/javascript"),
                             ("/assets/style.css", "text/css"),
                             ("/assets/favicon.svg", "image/svg+xml"),
                             ("/favicon.svg", "image/svg+xml")):
            hdrs, body = self.assertStatus(asset, 200)
            self.assertEqual(hdrs["content-type"].split(";")[0], ctype, asset)
            self.assertTrue(body)
        self.assertIn(self.get("/assets/")[0], (403, 404))
        self.assertStatus("/assets/nothing.js", 404)
        self.assertStatus("/favicon.ico", 404)

    def test_no_server_version(self):
        for path in ("/player.html", "/nothing", self.archive.placed[0].uri):
            code, hdrs, body = self.get(path)
            self.assertEqual(hdrs.get("server"), "nginx", path)

    def test_gzip_for_text(self):
        code, hdrs, body = self.get("/assets/player.js", {"Accept-Encoding": "gzip"})
        self.assertEqual(code, 200)
        self.assertEqual(hdrs.get("content-encoding"), "gzip")
        code, hdrs, body = self.get(self.archive.placed[0].uri, {"Accept-Encoding": "gzip"})
        self.assertNotIn("content-encoding", hdrs)  # video is never recompressed

    def test_huge_request(self):
        code, hdrs, body = self.get("/?" + "a" * 20000)
        self.assertIn(code, (400, 414))
        code, hdrs, body = self.get("/" + "a" * 20000)
        self.assertIn(code, (400, 414))


class UploadMulti(harness.MultiSiteTestCase):
    """PUT /upload/<camera dir>/<date>/video_HHMMSS.ts with basic auth (configured cameras)."""
    UPLOAD_USERS = ("streamer:s3cret/pass:word",)
    NEEDS = ()

    def put(self, path, body, auth=("streamer", "s3cret/pass:word"), headers=None):
        import base64
        h = {"Content-Length": str(len(body)), "Expect": "100-continue"}
        if auth:
            h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
        h.update(headers or {})
        return self.site.request("PUT", path, h, body)

    def data(self, i=0):
        with open(harness.fixture_segments()[i].path, "rb") as f:
            return f.read()

    def stored(self, rel):
        return os.path.join(self.root, rel)

    def test_put_stores_the_file(self):
        rel = "front/%s/video_010000.ts" % day(0)
        code, hdrs, body = self.put("/upload/" + rel, self.data(1))
        self.assertEqual(code, 201, body)
        with open(self.stored(rel), "rb") as f:
            self.assertEqual(f.read(), self.data(1))
        code, hdrs, body = self.put("/upload/" + rel, self.data(2))
        self.assertEqual(code, 204, body)  # an overwrite
        with open(self.stored(rel), "rb") as f:
            self.assertEqual(f.read(), self.data(2))
        # A new day directory and a camera directory other than the camera's name.
        rel = "cam2/%s/video_235959.ts" % day(-5)
        code, hdrs, body = self.put("/upload/" + rel, self.data(0))
        self.assertEqual(code, 201, body)
        self.assertTrue(os.path.isfile(self.stored(rel)))
        # It is then served like any segment.
        hdrs, body = self.assertStatus("/" + rel, 200)
        self.assertEqual(body, self.data(0))

    def test_wrong_password_stores_nothing(self):
        rel = "front/%s/video_020000.ts" % day(0)
        for auth in (("streamer", "wrong"), ("nobody", "s3cret/pass:word"), None):
            code, hdrs, body = self.put("/upload/" + rel, self.data(0), auth=auth)
            self.assertEqual(code, 401, (auth, body))
            self.assertIn("www-authenticate", hdrs)
            self.assertFalse(os.path.exists(self.stored(rel)))
        self.assertEqual(os.listdir(os.path.join(self.site.runtime, "tmp", "upload")), [])

    def test_bad_names_are_refused(self):
        d = day(0)
        for rel in ("front/%s/video_1.ts" % d, "front/%s/video_240000.ts" % d,
                    "front/%s/video_100000.mp4" % d, "front/%s/.video_100000.ts" % d,
                    "front/%s/video_100000.ts.part" % d, "front/%s/video_100000.ts.duration" % d,
                    "front/2026-13-01/video_100000.ts", "front/video_100000.ts",
                    "back/%s/video_100000.ts" % d,  # a camera name: uploads use its directory
                    "newcam/%s/video_100000.ts" % d,  # not a configured camera
                    "%s/video_100000.ts" % d,  # the legacy form, in a multi-camera root
                    "assets/%s/video_100000.ts" % d, "front/%s/sub/video_100000.ts" % d,
                    "front/%s/" % d, "catalog.sqlite", "../config.json.new"):
            code, hdrs, body = self.put("/upload/" + rel, b"not a segment")
            self.assertIn(code, (400, 404, 405), "%s answered %d" % (rel, code))
            if not rel.endswith("/"):
                self.assertFalse(os.path.exists(os.path.join(self.root, rel)), rel)

    def test_other_methods_on_upload(self):
        rel = "/upload/front/%s/video_030000.ts" % day(0)
        for method in ("GET", "HEAD", "DELETE", "MKCOL", "POST", "PROPFIND"):
            code, hdrs, body = self.site.request(method, rel, {"Authorization": "Basic eDp4"})
            self.assertEqual(code, 405, method)

    def test_too_large(self):
        rel = "front/%s/video_040000.ts" % day(0)
        code, hdrs, body = self.put("/upload/" + rel, b"", headers={"Content-Length": str(300 << 20)})
        self.assertEqual(code, 413)
        self.assertFalse(os.path.exists(self.stored(rel)))


class UploadLegacy(harness.LegacySiteTestCase):
    """A legacy root takes /upload/<date>/video_HHMMSS.ts only."""
    UPLOAD_USERS = ("cam:pw",)
    NEEDS = ()

    def test_legacy_upload(self):
        import base64
        auth = {"Authorization": "Basic " + base64.b64encode(b"cam:pw").decode()}
        rel = "%s/video_050000.ts" % day(0)
        code, hdrs, body = self.site.request("PUT", "/upload/" + rel, auth, b"abc")
        self.assertEqual(code, 201, body)
        self.assertTrue(os.path.isfile(os.path.join(self.root, rel)))
        self.assertStatus("/" + rel, 200)
        code, hdrs, body = self.site.request("PUT", "/upload/camera/" + rel, auth, b"abc")
        self.assertEqual(code, 404)
        self.assertFalse(os.path.exists(os.path.join(self.root, "camera")))

    def test_legacy_segments_served(self):
        for p in self.archive.placed:
            hdrs, body = self.assertStatus(p.uri, 200)
            self.assertEqual(hdrs["content-type"], "video/mp2t")


class NoUpload(harness.LegacySiteTestCase):
    """Without --upload-user there is no upload location at all."""
    NEEDS = ()

    def test_put_refused(self):
        rel = "%s/video_050000.ts" % day(0)
        code, hdrs, body = self.site.request("PUT", "/upload/" + rel, {}, b"abc")
        self.assertEqual(code, 405)
        code, hdrs, body = self.site.request("PUT", "/" + rel, {}, b"abc")
        self.assertEqual(code, 405)
        self.assertFalse(os.path.exists(os.path.join(self.root, rel)))


if __name__ == "__main__":
    harness.main()
