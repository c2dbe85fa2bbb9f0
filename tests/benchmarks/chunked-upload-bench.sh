#!/usr/bin/env bash
# On-demand benchmark of a large upload through the API in chunks (what a mini-program does) against one PUT of the
# same file to the upload URL (storage directly), side by side on the local host and Azurite, and the chunked one
# followed to Ready. The file is generated: noise, lossless, so it is as large as asked (default 300 MB, three times the
# Functions host's request limit) while its encode stays short.
# The chunked client is what the mini-program sample does (samples/miniprogram/miniprogram/lib/upload.ts): the server's
# chunk size, each chunk's Content-MD5, at most 3 requests in flight; it also checks that no request body exceeds a chunk.
#
# Usage: tests/benchmarks/chunked-upload-bench.sh [megabytes=300] [runs=2]
# Needs: the .NET SDK, ffmpeg, Azurite (./dev.sh test or ./dev.sh run installs them into .local/), python3.
set -euo pipefail
megabytes="${1:-300}"
runs="${2:-2}"
source "$(dirname "$0")/bench-env.sh"
bench_init chunked-bench

echo "Generating a ${megabytes} MB clip (854x480 noise, lossless)..." >&2
ffmpeg -v error -f lavfi -i "nullsrc=s=854x480:r=30,geq=lum='random(1)*255':cb=128:cr=128" -f lavfi -i sine=frequency=440 \
  -t 60 -fs "${megabytes}M" -c:v libx264 -preset ultrafast -qp 0 -pix_fmt yuv420p -c:a aac -movflags +faststart "$work/big.mp4"
size=$(stat -c %s "$work/big.mp4")

bench_start_azurite
bench_start_app

python3 - "$port" "$work/big.mp4" "$size" "$runs" <<'PY'
import base64, concurrent.futures, hashlib, http.client, json, statistics, subprocess, sys, time, urllib.parse
port, path, size, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def call(method, url, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request(method, url, body=body, headers=headers or {})
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, (json.loads(data) if data and r.getheader("Content-Type", "").startswith("application/json") else data)

status, login = call("POST", "/api/auth/login", json.dumps({"code": "dev:bench"}), {"Content-Type": "application/json"})
auth = {"Authorization": "Bearer " + login["token"]}

def create():
    status, created = call("POST", "/api/uploads", json.dumps({"fileName": "big.mp4", "contentType": "video/mp4", "sizeBytes": size}),
                           {**auth, "Content-Type": "application/json"})
    assert status == 201, created
    return created

def chunked():
    created = create(); chunk = created["chunked"]["chunkSize"]; count = created["chunked"]["chunkCount"]
    largest = 0
    def send(i):
        with open(path, "rb") as f:
            f.seek(i * chunk); data = f.read(chunk)
        md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
        s, _ = call("PUT", f"/api/uploads/{created['videoId']}/chunks/{i}", data, {**auth, "Content-MD5": md5, "Content-Type": "application/octet-stream"})
        assert s == 204, s
        return len(data)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        largest = max(pool.map(send, range(count)))
    s, _ = call("POST", f"/api/uploads/{created['videoId']}/complete", None, auth)
    assert s == 202, s
    return time.monotonic() - start, created["videoId"], count, chunk, largest

def direct():
    created = create(); url = urllib.parse.urlsplit(created["uploadUrl"])
    start = time.monotonic()
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
    with open(path, "rb") as f:
        c.request("PUT", url.path + "?" + url.query, body=f, headers={"x-ms-blob-type": "BlockBlob", "Content-Length": str(size)})
    r = c.getresponse(); r.read(); assert r.status == 201, r.status
    return time.monotonic() - start, created["videoId"]

rows = []
for run in range(runs):
    c, video, count, chunk, largest = chunked()
    d, _ = direct()
    rows.append((c, d))
    print(f"run {run + 1}: chunked {c:.1f} s ({count} chunks of {chunk} bytes, largest body {largest}), one PUT {d:.1f} s, ratio {c / d:.2f}", flush=True)
    assert largest <= chunk

start = time.monotonic()
while True:
    s, v = call("GET", f"/api/videos/{video}", None, auth)
    if v["status"] in ("Ready", "Failed"):
        break
    time.sleep(1)
print(f"the last chunked upload: {v['status']} {time.monotonic() - start:.1f} s after its completion ({v.get('error') or 'no error'})")
cs, ds = [r[0] for r in rows], [r[1] for r in rows]
print(f"{size / 1e6:.0f} MB: chunked median {statistics.median(cs):.1f} s, one PUT median {statistics.median(ds):.1f} s, "
      f"median ratio {statistics.median([c / d for c, d in rows]):.2f}")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
