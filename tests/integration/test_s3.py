#!/usr/bin/python3
"""The S3 client (worker/s3_client.hpp, through tests/integration/s3_client_probe.cpp)
against a real S3-compatible server that verifies SigV4 (@20minutes/s3rver 5.0.0 via
tests/peers/s3server.js, see ../shared/PEERS.md section 2), with a second client (rclone)
to read back what ours wrote.

- a day of 20 segments uploaded on one client, listed and checked by rclone;
- a small file (single PUT) and a 17 MiB file (multipart, 4 parts of 5 MiB, in parallel)
  uploaded, verified by HEAD, downloaded back through a presigned URL (urllib) and through
  rclone (configured from the environment only), and compared byte for byte;
- keys with spaces, '+', '=' and a secret with '/' and '+' (encoding and signing);
- a wrong secret and an unknown key id: permanent errors with S3's Code, no secret;
- a stopped server: a retryable error; started again: the same upload succeeds;
- a presigned URL with a tampered signature: 403;
- uploadLimitKBps: the upload takes as long as the limit says.
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import harness
from harness import BIN, BUCKET, KEY_ID, SECRET

PROBE = os.path.join(BIN, "s3_client_probe")
PREFIX = "site1"
MIB = 1 << 20


def random_file(path, size, seed):
    data = hashlib.sha256(seed.encode()).digest() * (size // 32 + 1)
    # Not periodic over a part: mix in the block number.
    out = bytearray()
    block = 1 << 16
    for i in range(0, size, block):
        out += hashlib.sha256(data[:32] + i.to_bytes(8, "big")).digest() * (block // 32)
    with open(path, "wb") as f:
        f.write(bytes(out[:size]))
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


class S3ClientTest(harness.S3TestCase):
    NEEDS = ("s3_client_probe",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.write_config("config.json")

    @classmethod
    def write_config(cls, name, endpoint=None, secret=SECRET, key_id=KEY_ID, **s3):
        s3config = {"s3Bucket": BUCKET, "s3Path": PREFIX,
                    "endpoint": endpoint or cls.server.endpoint, "pathStyle": True,
                    "multipartThresholdMB": 5, "multipartPartSizeMB": 5,
                    "uploadConcurrency": 4}
        s3config.update(s3)
        config = {"storageConfig": {"savePath": cls.work},
                  "s3Config": s3config,
                  "awsCredentials": {"accessKeyId": key_id, "secretAccessKey": secret}}
        path = os.path.join(cls.work, name)
        with open(path, "w") as f:
            json.dump(config, f)
        os.chmod(path, 0o600)
        return path

    def probe(self, *args, config=None, timeout=120):
        return subprocess.run([PROBE, "--config", config or self.config] + list(args),
                              capture_output=True, text=True, timeout=timeout,
                              env=harness.env_without_aws())

    def upload(self, key, path, **kw):
        res = self.probe("upload", key, path, **kw)
        self.assertEqual(res.returncode, 0, res.stderr)
        return json.loads(res.stdout)

    def presigned_get(self, key, seconds=None):
        args = ["presign", key] + ([str(seconds)] if seconds else [])
        res = self.probe(*args)
        self.assertEqual(res.returncode, 0, res.stderr)
        url = res.stdout.strip()
        with urllib.request.urlopen(url, timeout=30) as r:
            return url, r.read()

    def assertNoSecret(self, res):
        for text in (res.stdout, res.stderr):
            self.assertNotIn(SECRET, text)
            self.assertNotIn("s3cr3t", text)
            self.assertNotIn("Signature=", text)
            self.assertNotIn("wrong/secret+", text)

    # ---- round trips ---------------------------------------------------------------
    def test_single_put_round_trip(self):
        path = random_file(os.path.join(self.work, "segment.ts"), 300_000, "single")
        key = "front/2026-11-20/video 12+00=00.ts"
        up = self.upload(key, path)
        full_key = PREFIX + "/" + key
        md5 = hashlib.md5(read(path)).hexdigest()
        self.assertEqual(up["key"], full_key)
        self.assertEqual(up["parts"], 0)
        self.assertTrue(up["verified"])
        self.assertEqual(up["size"], 300_000)
        self.assertEqual(up["etag"], md5)  # a single PUT's ETag is the MD5
        head = self.probe("head", key)
        self.assertEqual(head.returncode, 0, head.stderr)
        self.assertEqual(json.loads(head.stdout), {"key": full_key, "size": 300_000, "etag": md5})
        _, body = self.presigned_get(key)
        self.assertEqual(body, read(path))
        self.assertEqual(self.rclone("cat", "s3t:%s/%s" % (BUCKET, full_key)), read(path))

    def test_multipart_round_trip(self):
        size = 17 * MIB + 12345  # 4 parts of 5 MiB
        path = random_file(os.path.join(self.work, "video.mp4"), size, "multipart")
        key = "front/2026-11-19/video.mp4"
        up = self.upload(key, path)
        full_key = PREFIX + "/" + key
        self.assertEqual(up["parts"], 4)
        self.assertTrue(up["verified"])
        self.assertEqual(up["size"], size)
        print("\nmultipart: %d bytes in %.3f s = %.1f MiB/s (4 parts, 4 threads)"
              % (size, up["seconds"], up["mib_per_s"]), file=sys.stderr)
        _, body = self.presigned_get(key, 600)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(read(path)).hexdigest())
        # A second client reads it back and lists it.
        back = os.path.join(self.work, "back.mp4")
        self.rclone("copyto", "s3t:%s/%s" % (BUCKET, full_key), back)
        self.assertEqual(read(back), read(path))
        listing = self.rclone("lsl", "s3t:%s/%s/front" % (BUCKET, PREFIX)).decode()
        self.assertRegex(listing, r"\b%d\b.*2026-11-19/video\.mp4" % size)
        self.assertEqual(self.rclone("md5sum", "s3t:%s/%s" % (BUCKET, full_key)).split()[0]
                         .decode(), hashlib.md5(read(path)).hexdigest())

    def test_a_day_of_segments_on_one_connection(self):
        day = os.path.join(self.work, "2026-11-18")
        os.makedirs(day)
        sizes = {}
        for i in range(20):
            name = "video_%06d.ts" % (i * 10)
            sizes[name] = 50_000 + i
            random_file(os.path.join(day, name), sizes[name], name)
        res = self.probe("upload-dir", "yard/2026-11-18", day)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(json.loads(res.stdout)["files"], 20)
        listing = self.rclone("lsl", "s3t:%s/%s/yard/2026-11-18" % (BUCKET, PREFIX)).decode()
        listed = {line.split()[-1]: int(line.split()[0]) for line in listing.splitlines()}
        self.assertEqual(listed, sizes)
        self.assertEqual(self.rclone("check", day, "s3t:%s/%s/yard/2026-11-18" % (BUCKET, PREFIX)),
                         b"")

    def test_delete(self):
        path = random_file(os.path.join(self.work, "gone.ts"), 1000, "gone")
        self.upload("front/gone.ts", path)
        res = self.probe("delete", "front/gone.ts")
        self.assertEqual(res.returncode, 0, res.stderr)
        head = self.probe("head", "front/gone.ts")
        self.assertEqual(head.returncode, 2, head.stderr)
        self.assertIn("HTTP 404", head.stderr)

    # ---- errors --------------------------------------------------------------------
    def test_wrong_secret_is_a_clear_permanent_error(self):
        config = self.write_config("wrong-secret.json", secret="wrong/secret+")
        path = random_file(os.path.join(self.work, "w.ts"), 2000, "wrong")
        res = self.probe("upload", "front/w.ts", path, config=config)
        self.assertEqual(res.returncode, 2, res.stderr)
        line = res.stderr.strip()
        self.assertEqual(len(line.splitlines()), 1, line)
        self.assertIn("permanent", line)
        self.assertIn("PUT s3://cctv/site1/front/w.ts: HTTP 403 SignatureDoesNotMatch: ", line)
        self.assertNoSecret(res)
        # Multipart too: refused at CreateMultipartUpload, nothing sent.
        big = random_file(os.path.join(self.work, "wbig.bin"), 6 * MIB, "wrongbig")
        res = self.probe("upload", "front/wbig.bin", big, config=config)
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("CreateMultipartUpload s3://cctv/site1/front/wbig.bin: HTTP 403 "
                      "SignatureDoesNotMatch", res.stderr)
        self.assertNoSecret(res)
        # HEAD has no body: the status says it.
        res = self.probe("head", "front/w.ts", config=config)
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("HTTP 403", res.stderr)
        self.assertNoSecret(res)

    def test_unknown_key_id_is_a_permanent_error(self):
        config = self.write_config("unknown-key.json", key_id="AKIDUNKNOWN")
        path = random_file(os.path.join(self.work, "u.ts"), 2000, "unknown")
        res = self.probe("upload", "front/u.ts", path, config=config)
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("HTTP 403 InvalidAccessKeyId", res.stderr)
        self.assertNoSecret(res)

    def test_tampered_presigned_url_is_refused(self):
        path = random_file(os.path.join(self.work, "p.ts"), 5000, "presign")
        key = "front/p.ts"
        self.upload(key, path)
        url, body = self.presigned_get(key, 60)
        self.assertEqual(body, read(path))
        signature = re.search(r"X-Amz-Signature=([0-9a-f]{64})$", url).group(1)
        flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url.replace(signature, flipped), timeout=30)
        self.assertEqual(caught.exception.code, 403)
        # Another key with this key's signature: refused too.
        other = url.replace("/front/p.ts?", "/front/segment.ts?")
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(other, timeout=30)
        self.assertEqual(caught.exception.code, 403)

    def test_rate_limit(self):
        config = self.write_config("limited.json", uploadLimitKBps=1024)
        path = random_file(os.path.join(self.work, "limited.ts"), 3 * MIB, "limit")
        up = self.upload("front/limited.ts", path, config=config)
        self.assertGreater(up["seconds"], 2.4)
        self.assertLess(up["seconds"], 10)


class StoppedServerTest(harness.S3TestCase):
    """Its own server: stopped, then started again on the same port and data."""
    WORK_PREFIX = "cctv-s3-stop-"
    NEEDS = ("s3_client_probe",)

    def test_a_stopped_server_is_a_retryable_error(self):
        config = os.path.join(self.work, "config.json")
        with open(config, "w") as f:
            json.dump({"storageConfig": {"savePath": self.work},
                       "s3Config": {"s3Bucket": BUCKET, "endpoint": self.server.endpoint,
                                    "pathStyle": True, "multipartThresholdMB": 5},
                       "awsCredentials": {"accessKeyId": KEY_ID, "secretAccessKey": SECRET}},
                      f)
        small = random_file(os.path.join(self.work, "a.ts"), 10_000, "stop")
        big = random_file(os.path.join(self.work, "b.mp4"), 6 * MIB, "stopbig")

        def run(*args):
            return subprocess.run([PROBE, "--config", config] + list(args),
                                  capture_output=True, text=True, timeout=120)

        self.assertEqual(run("upload", "cam/a.ts", small).returncode, 0)
        self.server.stop()
        for key, path in (("cam/a.ts", small), ("cam/b.mp4", big)):
            res = run("upload", key, path)
            self.assertEqual(res.returncode, 3, res.stderr)
            self.assertIn("retryable", res.stderr)
            self.assertIn("Couldn't connect to server", res.stderr)
            self.assertNotIn(SECRET, res.stderr)
        # Back on the same port: the retried uploads succeed.
        self.server.start()
        for key, path in (("cam/a.ts", small), ("cam/b.mp4", big)):
            res = run("upload", key, path)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertTrue(json.loads(res.stdout)["verified"])


if __name__ == "__main__":
    harness.main()
