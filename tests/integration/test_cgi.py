#!/usr/bin/python3
"""The same programs as plain CGI (Apache mod_cgi style): run with a CGI environment,
they print a "Status:" header, the headers and the body, and exit."""
import json
import os

import harness
from harness import day


def cgi(program, query="", method="GET", config=None, **headers):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": method, "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
           "SERVER_NAME": "localhost", "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
           "SCRIPT_NAME": "/" if program == "cctv-index" else "/playlist.m3u8",
           "REQUEST_URI": ("/" if program == "cctv-index" else "/playlist.m3u8") +
                          ("?" + query if query else "")}
    if config:
        env["CCTV_CONFIG"] = config
    for k, v in headers.items():
        env["HTTP_" + k.upper()] = v
    res = harness.subprocess.run([os.path.join(harness.BIN, program)], env=env,
                                 capture_output=True, timeout=30)
    if res.returncode != 0:
        raise AssertionError("%s exited %d: %s" % (program, res.returncode, res.stderr))
    head, sep, body = res.stdout.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = res.stdout.partition(b"\n\n")
    if not sep:
        raise AssertionError("%s printed no header block: %r" % (program, res.stdout[:200]))
    hdrs = {}
    for line in head.decode("latin-1").splitlines():
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    status = int(hdrs.pop("status", "200").split()[0])
    return status, hdrs, body


class Cgi(harness.MultiSiteTestCase):
    def run_cgi(self, program, query="", method="GET", **headers):
        return cgi(program, query, method, self.config_path, **headers)

    def test_playlist_as_cgi_matches_fastcgi(self):
        for query in ("camera=front&date=" + day(-3), "camera=front&date=" + day(0),
                      "camera=back&date=%s&live=1" % day(-1),
                      "camera=front&date=%s&live=1&_HLS_skip=YES" % day(-3)):
            status, hdrs, body = self.run_cgi("cctv-playlist", query)
            self.assertEqual(status, 200, body)
            code, nhdrs, nbody = self.get("/playlist.m3u8?" + query)
            self.assertEqual(body, nbody, query)
            for h in ("content-type", "cache-control", "etag", "last-modified"):
                self.assertEqual(hdrs.get(h), nhdrs.get(h), "%s: %s" % (query, h))

    def test_status_codes(self):
        for query, want in (("camera=nosuch&date=" + day(0), 404), ("camera=front&date=" + day(-4), 404),
                            ("camera=front&date=2026-13-01", 400), ("camera=%00", 400),
                            ("date=" + day(0), 400), ("camera=front&date=x&date=y", 400)):
            status, hdrs, body = self.run_cgi("cctv-playlist", query)
            self.assertEqual(status, want, (query, body))
            self.assertTrue(hdrs.get("content-type", "").startswith("text/plain"), query)
            self.assertEqual(body.decode().strip().count("\n"), 0, query)
        status, hdrs, body = self.run_cgi("cctv-playlist", "camera=front&live=1")
        self.assertEqual(status, 302)
        self.assertEqual(hdrs.get("location"), "/playlist.m3u8?camera=front&date=%s&live=1" % day(0))

    def test_conditional_and_head(self):
        query = "camera=front&date=" + day(-2)
        status, hdrs, body = self.run_cgi("cctv-playlist", query)
        status, h304, body304 = self.run_cgi("cctv-playlist", query, if_none_match=hdrs["etag"])
        self.assertEqual((status, body304), (304, b""))
        status, hh, hbody = self.run_cgi("cctv-playlist", query, method="HEAD")
        self.assertEqual((status, hbody), (200, b""))
        status, hp, pbody = self.run_cgi("cctv-playlist", query, method="POST")
        self.assertEqual(status, 405)

    def test_index_as_cgi(self):
        status, hdrs, body = self.run_cgi("cctv-index")
        self.assertEqual(status, 200, body[:300])
        self.assertTrue(hdrs["content-type"].startswith("text/html"))
        self.assertIn(day(-3).encode(), body)

    def test_misconfigured(self):
        status, hdrs, body = cgi("cctv-playlist", "date=" + day(0), config="/nonexistent/config.json")
        self.assertEqual(status, 503)
        self.assertNotIn(b"/nonexistent", body)  # the reason is logged, not shown
        broken = os.path.join(self.work, "no-catalog.json")
        with open(self.config_path) as f:
            cfg = json.load(f)
        cfg["storageConfig"]["catalogPath"] = os.path.join(self.work, "missing", "catalog.sqlite")
        with open(broken, "w") as f:
            json.dump(cfg, f)
        status, hdrs, body = cgi("cctv-playlist", "camera=front&date=" + day(0), config=broken)
        self.assertIn(status, (500, 503), body)
        self.assertEqual(body.decode().strip().count("\n"), 0)


if __name__ == "__main__":
    harness.main()
