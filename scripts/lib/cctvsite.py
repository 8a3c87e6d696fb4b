#!/usr/bin/python3
"""Generates what a CCTV archive site needs around the C++ programs.

Shared by scripts/serve, tests/integration and bench/ (stdlib only):

  cctvsite.py config --out FILE --save-path DIR --catalog FILE [--title T]
      writes a CCTV config (cameras omitted: discovered from the archive root)
  cctvsite.py get --config FILE KEY
      prints storageConfig.savePath / storageConfig.catalogPath / web.baseUrl
  cctvsite.py site --config FILE --out FILE --listen 80 --webroot DIR [--htpasswd FILE] ...
      renders only nginx/cctv-site.conf.in, for a system nginx (docs/nginx.md)
  cctvsite.py nginx --config FILE --runtime DIR --listen ADDR --webroot DIR
                    --index-socket PATH --playlist-socket PATH [--upload-user USER:PASSWORD]
      renders nginx/nginx.conf.in + nginx/cctv-site.conf.in into DIR (nginx.conf,
      cctv-site.conf, htpasswd) and creates the directories nginx writes to.

Then: nginx -p DIR -c DIR/nginx.conf -e DIR/logs/error.log
"""
import argparse
import grp
import json
import os
import pwd
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE_DIR = os.path.join(REPO, "nginx")

# Names the web front end uses: never cameras (core/layout.cpp is_reserved_name).
RESERVED = ["assets", "upload", "api", "live", "playlist.m3u8", "playlist.php", "player.html",
            "index.html", "favicon.ico", "favicon.svg", "export.mp4", "frame.jpg", "moment.mp4",
            "moment.gif", "moments"]
DATE_RE = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
HHMMSS_RE = r"(?:[01]\d|2[0-3])[0-5]\d[0-5]\d"
# A camera name or directory as a path segment: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, not a date,
# not reserved (core/layout.cpp is_valid_camera_name).
CAMERA_RE = (r"(?!(?:%s|\d{4}-\d{2}-\d{2})/)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
             % "|".join(re.escape(n) for n in RESERVED))
NEVER_RE = r"(?!)"

SECURITY_HEADERS = ('add_header X-Content-Type-Options "nosniff" always; '
                    'add_header Referrer-Policy "same-origin" always; '
                    'add_header X-Frame-Options "SAMEORIGIN" always;')
# hls.js feeds the <video> through MediaSource (blob: URLs) and may run a blob: worker.
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
       "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "frame-ancestors 'self'; form-action 'self'")

# What every FastCGI location passes (SCRIPT_NAME is set per location), one per line at
# the indentation of a location's body.
FASTCGI_PARAMS = "\n        ".join(
    "fastcgi_param %-17s %s;" % pair for pair in (
        ("QUERY_STRING", "$query_string"), ("REQUEST_METHOD", "$request_method"),
        ("REQUEST_URI", "$request_uri"), ("DOCUMENT_URI", "$document_uri"),
        ("SERVER_PROTOCOL", "$server_protocol"), ("REQUEST_SCHEME", "$scheme"),
        ("HTTPS", "$https if_not_empty"), ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SERVER_SOFTWARE", "nginx"), ("REMOTE_ADDR", "$remote_addr"),
        ("REMOTE_PORT", "$remote_port"), ("SERVER_ADDR", "$server_addr"),
        ("SERVER_PORT", "$server_port"), ("SERVER_NAME", "$server_name"),
        ("HTTP_HOST", "$host")))

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load_config(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def config_value(cfg, key):
    storage = cfg.get("storageConfig", {})
    if key == "savePath":
        return storage.get("savePath", "")
    if key == "catalogPath":
        return storage.get("catalogPath", "/var/lib/cctv/catalog.sqlite")
    if key == "baseUrl":
        return cfg.get("web", {}).get("baseUrl", "/")
    raise KeyError(key)


def write_config(out, save_path, catalog, title="CCTV archive", extra=None):
    """A minimal config: cameras omitted, so the programs discover them."""
    cfg = {
        "storageConfig": {"savePath": os.path.abspath(save_path),
                          "catalogPath": os.path.abspath(catalog)},
        "timeZone": "UTC",
        "web": {"baseUrl": "/", "title": title},
    }
    if extra:
        cfg.update(extra)
    tmp = out + ".part"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.replace(tmp, out)
    return cfg


def _alternation(names):
    return "(?:%s)" % "|".join(re.escape(n) for n in names) if names else NEVER_RE


def camera_dir_prefixes(cfg, save_path):
    """(served, upload) regex prefixes for the camera directory part of archive URLs.

    Each is "" (legacy root only), "X/" (a camera directory is required) or "(?:X/)?".
    Configured cameras: exactly their directories. Discovered cameras: any valid name,
    and uploads follow the root's layout as found now (a legacy root with day directories
    takes legacy uploads only; a root with camera directories takes camera uploads only;
    an empty root takes both, and the first upload decides).
    """
    cameras = cfg.get("cameras")
    if cameras:
        dirs = []
        legacy = False
        for cam in cameras:
            d = cam.get("directory", cam.get("cameraName", ""))
            if d in ("", "."):
                legacy = True
            else:
                dirs.append(d)
        alt = _alternation(dirs)
        if legacy and dirs:
            prefix = "(?:%s/)?" % alt
        elif legacy:
            prefix = ""
        else:
            prefix = "%s/" % alt
        return prefix, prefix
    served = "(?:%s/)?" % CAMERA_RE
    try:
        entries = [e for e in os.listdir(save_path) if not e.startswith(".")]
    except OSError:
        entries = []
    has_days = any(DATE_DIR.match(e) and os.path.isdir(os.path.join(save_path, e)) for e in entries)
    has_cams = any(not DATE_DIR.match(e) and os.path.isdir(os.path.join(save_path, e)) for e in entries)
    if has_days:
        upload = ""
    elif has_cams:
        upload = "%s/" % CAMERA_RE
    else:
        upload = served
    return served, upload


def hash_password(password):
    out = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password + "\n",
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def user_line(save_path):
    """nginx workers run as the archive's owner when nginx is started as root."""
    if os.geteuid() != 0:
        return ""
    st = os.stat(save_path)
    try:
        user = pwd.getpwuid(st.st_uid).pw_name
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        user, group = "nobody", "nogroup"
    return "user %s %s;" % (user, group)


def upload_temp_dir(runtime, save_path):
    """A body temp dir on the archive's filesystem, so that a PUT ends in a rename()."""
    tmp = os.path.join(runtime, "tmp", "upload")
    if os.stat(runtime).st_dev == os.stat(save_path).st_dev:
        return tmp
    return os.path.join(save_path, ".upload-tmp")  # a dot-dir: never served, never indexed


def render(template, values, upload):
    """Fills @NAME@ placeholders in directives (comments keep them, as documentation)."""
    keys = sorted(values, key=len, reverse=True)  # @BASE_RE@ before @BASE@
    out = []
    for line in template.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#@upload "):
            if not upload:
                continue
            line = line.replace("#@upload ", "", 1)
        elif stripped.startswith("#@noupload "):
            if upload:
                continue
            line = line.replace("#@noupload ", "", 1)
        if not line.lstrip().startswith("#"):
            for key in keys:
                line = line.replace("@%s@" % key, values[key])
            left = re.findall(r"@[A-Z_]+@", line)
            if left:
                raise SystemExit("cctvsite: unknown placeholders %s" % left)
        out.append(line)
    return "\n".join(out) + "\n"


def render_site(config, listen, webroot, index_socket, playlist_socket, cache_dir,
                htpasswd=None, upload_temp=None, playlist_cache=True, api_socket=None,
                export_socket=None):
    """The site file's text. `htpasswd` set = the upload location is on. `api_socket`
    and `export_socket` default to api.sock and export.sock beside the playlist socket."""
    if api_socket is None:
        api_socket = os.path.join(os.path.dirname(os.path.abspath(playlist_socket)), "api.sock")
    if export_socket is None:
        export_socket = os.path.join(os.path.dirname(os.path.abspath(playlist_socket)),
                                     "export.sock")
    cfg = load_config(config)
    save_path = config_value(cfg, "savePath")
    base = config_value(cfg, "baseUrl")
    if not save_path or not os.path.isabs(save_path):
        raise SystemExit("cctvsite: storageConfig.savePath must be an absolute path")
    if not (base.startswith("/") and base.endswith("/")):
        raise SystemExit("cctvsite: web.baseUrl must start and end with '/'")
    served, upload = camera_dir_prefixes(cfg, save_path)
    values = {
        "LISTEN": listen,
        "ARCHIVE_ROOT": os.path.abspath(save_path).rstrip("/") or "/",
        "WEBROOT": os.path.abspath(webroot),
        "CACHE_DIR": os.path.abspath(cache_dir),
        "INDEX_SOCKET": os.path.abspath(index_socket),
        "PLAYLIST_SOCKET": os.path.abspath(playlist_socket),
        "API_SOCKET": os.path.abspath(api_socket),
        "EXPORT_SOCKET": os.path.abspath(export_socket),
        "BASE": base,
        "BASE_RE": re.escape(base).replace("\\/", "/"),
        "DATE_RE": DATE_RE,
        "HHMMSS_RE": HHMMSS_RE,
        "CAMERA_RE": CAMERA_RE,
        "CAMDIR_PREFIX_RE": served,
        "UPLOAD_CAMDIR_PREFIX_RE": upload,
        "UPLOAD_HTPASSWD": os.path.abspath(htpasswd) if htpasswd else "",
        "UPLOAD_TEMP": os.path.abspath(upload_temp or os.path.join(save_path, ".upload-tmp")),
        "SECURITY_HEADERS": SECURITY_HEADERS,
        "CSP": CSP,
        "FASTCGI_PARAMS": FASTCGI_PARAMS,
    }
    with open(os.path.join(TEMPLATE_DIR, "cctv-site.conf.in"), encoding="utf-8") as f:
        site = render(f.read(), values, bool(htpasswd))
    if not playlist_cache:  # for bench/playlist: every request reaches cctv-playlist
        site = site.replace("fastcgi_cache cctv_playlists;", "fastcgi_cache off;")
    return site


def write_htpasswd(path, upload_users):
    lines = []
    for spec in upload_users:
        user, sep, password = spec.partition(":")
        if not sep or not user or ":" in user or not password:
            raise SystemExit("cctvsite: --upload-user wants USER:PASSWORD")
        lines.append("%s:%s\n" % (user, hash_password(password)))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w") as f:
        f.writelines(lines)


def generate_nginx(config, runtime, listen, webroot, index_socket, playlist_socket,
                   upload_users=(), error_log=None, access_log=None, workers="2",
                   mime_types="/etc/nginx/mime.types", playlist_cache=True):
    """nginx.conf + cctv-site.conf (+ htpasswd) in `runtime`; returns the nginx.conf path."""
    save_path = config_value(load_config(config), "savePath")
    runtime = os.path.abspath(runtime)
    for d in ("logs", "cache", "tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi",
              "tmp/upload"):
        os.makedirs(os.path.join(runtime, d), exist_ok=True)
    if save_path:
        os.makedirs(save_path, exist_ok=True)
    htpasswd = None
    if upload_users:
        htpasswd = os.path.join(runtime, "htpasswd")
        write_htpasswd(htpasswd, upload_users)
    site = render_site(config, listen, webroot, index_socket, playlist_socket,
                       os.path.join(runtime, "cache"), htpasswd,
                       upload_temp_dir(runtime, save_path), playlist_cache)
    site_path = os.path.join(runtime, "cctv-site.conf")
    with open(site_path, "w", encoding="utf-8") as f:
        f.write(site)
    main_values = {
        "USER_LINE": user_line(save_path),
        "WORKERS": str(workers),
        "RUNTIME": runtime,
        "ERROR_LOG": error_log or os.path.join(runtime, "logs", "error.log"),
        "ACCESS_LOG": (access_log or os.path.join(runtime, "logs", "access.log")) + " cctv"
        if access_log != "off" else "off",
        "MIME_TYPES": mime_types,
        "SITE_CONF": site_path,
    }
    with open(os.path.join(TEMPLATE_DIR, "nginx.conf.in"), encoding="utf-8") as f:
        main = render(f.read(), main_values, False)
    conf_path = os.path.join(runtime, "nginx.conf")
    with open(conf_path, "w", encoding="utf-8") as f:
        f.write(main)
    return conf_path


def main(argv):
    ap = argparse.ArgumentParser(prog="cctvsite.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("config", help="write a CCTV config with discovered cameras")
    c.add_argument("--out", required=True)
    c.add_argument("--save-path", required=True)
    c.add_argument("--catalog", required=True)
    c.add_argument("--title", default="CCTV archive")
    g = sub.add_parser("get", help="print one value of a CCTV config")
    g.add_argument("--config", required=True)
    g.add_argument("key", choices=["savePath", "catalogPath", "baseUrl"])
    st = sub.add_parser("site", help="render only the site file, for a system nginx")
    st.add_argument("--config", required=True)
    st.add_argument("--out", required=True)
    st.add_argument("--listen", default="80")
    st.add_argument("--webroot", required=True)
    st.add_argument("--index-socket", default="/run/cctv/index.sock")
    st.add_argument("--playlist-socket", default="/run/cctv/playlist.sock")
    st.add_argument("--api-socket", default="/run/cctv/api.sock")
    st.add_argument("--export-socket", default="/run/cctv/export.sock")
    st.add_argument("--cache-dir", default="/var/cache/nginx/cctv")
    st.add_argument("--htpasswd", help="enables uploads: an htpasswd file (htpasswd or "
                                       "openssl passwd -6 makes the entries)")
    st.add_argument("--upload-temp", help="body temp dir on the archive's filesystem "
                                          "(default: <savePath>/.upload-tmp)")
    n = sub.add_parser("nginx", help="render the nginx config into a runtime directory")
    n.add_argument("--config", required=True)
    n.add_argument("--runtime", required=True)
    n.add_argument("--listen", default="127.0.0.1:8080")
    n.add_argument("--webroot", required=True)
    n.add_argument("--index-socket", required=True)
    n.add_argument("--playlist-socket", required=True)
    n.add_argument("--upload-user", action="append", default=[])
    n.add_argument("--error-log")
    n.add_argument("--access-log")
    n.add_argument("--workers", default="2")
    a = ap.parse_args(argv)
    if a.cmd == "config":
        write_config(a.out, a.save_path, a.catalog, a.title)
    elif a.cmd == "site":
        text = render_site(a.config, a.listen, a.webroot, a.index_socket, a.playlist_socket,
                           a.cache_dir, a.htpasswd, a.upload_temp, api_socket=a.api_socket,
                           export_socket=a.export_socket)
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    elif a.cmd == "get":
        print(config_value(load_config(a.config), a.key))
    else:
        print(generate_nginx(a.config, a.runtime, a.listen, a.webroot, a.index_socket,
                             a.playlist_socket, a.upload_user, a.error_log, a.access_log,
                             a.workers))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
