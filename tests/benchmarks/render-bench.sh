#!/usr/bin/env bash
# On-demand benchmark of making a video from photos (issue 32), measured side by side in one run on local Azurite:
#   (r) a render through the API: 9 photos, a loop template of ~15 s (image 1.25 s, dissolve 0.5 s, the seed's zoom
#       uniforms, a PopImage sticker, music) on the 720p 9:16 canvas: request → playable and request → Ready, from the
#       moments the pipeline recorded;
#   (u) an upload of a clip of the same length and canvas (720x1280 30 fps, testsrc2 + sine) through the upload URL:
#       end of upload → playable and → Ready.
# Runs alternate r and u so drift hits both alike; prints each run, the medians, and the median ratios Ready/duration
# (target <= 1.0 for r), r/u.
#
# Usage: tests/benchmarks/render-bench.sh [runs=3]
# Needs: the .NET SDK, ffmpeg, Azurite (./dev.sh test or ./dev.sh run installs them into .local/).
set -euo pipefail
runs="${1:-3}"
source "$(dirname "$0")/bench-env.sh"
bench_init render-bench
bench_start_azurite
# Every sample setting (bench-env.sh), with a known operator key, the 720p canvas and the library refreshed every second.
bench_start_app Identity__OperatorKeys=bench-operator-key Rendering__ShortSide=720 Templates__RefreshSeconds=1 LocalRuntime__UploadWatchIntervalSeconds=0.2

echo "Generating 9 photos, a sticker, music and a 720x1280 clip of the render's length..." >&2
for i in $(seq 0 8); do
  ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i "testsrc2=size=1080x1440:rate=1,hue=h=$((i * 40))" -frames:v 1 -q:v 2 "$work/photo$i.jpg"
done
ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i "color=c=white:s=120x48" -frames:v 1 "$work/sticker.png"
ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 30 -c:a aac "$work/music.m4a"

python3 - "$port" "$work" "$runs" <<'PY'
import datetime, hashlib, http.client, json, statistics, subprocess, sys, time, uuid

port, work, runs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
OPERATOR = {"x-functions-key": "bench-operator-key"}

def call(method, path, body=None, headers=None, raw=None):
    headers = dict(headers or {})
    if body is not None:
        raw = json.dumps(body).encode(); headers["Content-Type"] = "application/json"
    conn.request(method, path, body=raw, headers=headers)
    response = conn.getresponse(); data = response.read()
    if response.status >= 300:
        sys.exit("%s %s: %d %s" % (method, path, response.status, data[:400]))
    return json.loads(data) if data else None

def multipart(path, file, headers):
    boundary = uuid.uuid4().hex
    content = open(file, "rb").read()
    raw = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" % boundary).encode()
           + content + ("\r\n--%s--\r\n" % boundary).encode())
    return call("POST", path, raw=raw, headers=dict(headers, **{"Content-Type": "multipart/form-data; boundary=" + boundary}))

user = {"Authorization": "Bearer " + call("POST", "/api/auth/login", {"code": "dev:render-bench"})["token"]}

cdn = "https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/"
image_shader = {"vertexURL": cdn + "ShaderV2/ImageEffect_Move2_V2/ImageEffect_Move2_V2.vert", "fragmentURL": cdn + "ShaderV2/ImageEffect_Move2_V2/ImageEffect_Move2_V2.frag",
                "uniforms": {"u_FirstScaleBegin": 1.0, "u_FirstScaleRange": 0.04, "u_FirstMoveBeginX": 0, "u_FirstMoveRangeX": 0, "u_FirstMoveBeginY": 0, "u_FirstMoveRangeY": 0}}
dissolve = {"vertexURL": cdn + "ShaderV2/TransitionEffect_Mix2_V2/TransitionEffect_Mix2_V2.vert", "fragmentURL": cdn + "ShaderV2/TransitionEffect_Mix2_V2/TransitionEffect_Mix2_V2.frag",
            "uniforms": {"u_FirstScaleBegin": 1.04, "u_FirstScaleRange": 0.01, "u_SecondScaleBegin": 1.0, "u_SecondScaleRange": 0.01}}
sticker_url, music_url = "https://gw.alicdn.com/tfs/bench-sticker.png", "https://cdn.example.com/music/bench.m4a"
sticker = {"type": "PopImage", "position": 0, "duration": 3600, "data": {}, "shader": {
    "vertexURL": cdn + "ShaderV3/PopImage/PopImageV3.vert", "fragmentURL": cdn + "ShaderV3/PopImage/PopImageV3.frag", "vertexCoordinatesName": "a_Position",
    "vertexCoordinatesValue": {"x": 0, "y": 0, "width": 1, "height": 1, "rect": {"top": "8dp", "right": "8dp", "width": "60dp", "height": "24dp"}},
    "images": [{"textureCoordinatesName": "a_FirstTexCoord", "textureCoordinatesValue": {"x": 0, "y": 0, "width": 1, "height": 1}, "textureName": "u_FirstTexture", "imageURL": sticker_url}],
    "uniforms": {"u_MoveX": 0, "u_MoveY": 0, "u_VertexScaleBegin": 1, "u_VertexScaleRange": 0}}}
template = {"id": "render-bench", "name": "Render bench", "aspectRatio": "9:16", "loop": True, "minImageCount": 1, "maxImageCount": 200,
            "music": {"id": "bench", "name": "Bench", "url": music_url, "duration": 30},
            "nodes": [{"name": "zoom", "type": "image", "duration": 1.25, "shader": image_shader}, {"name": "dissolve", "type": "transition", "duration": 0.5, "shader": dissolve}],
            "tracks": [{"type": "ShaderTrack", "list": [sticker]}]}

assets = []
for url in [image_shader["vertexURL"], image_shader["fragmentURL"], dissolve["vertexURL"], dissolve["fragmentURL"], sticker["shader"]["vertexURL"], sticker["shader"]["fragmentURL"]]:
    assets.append({"url": url, "sha256": hashlib.sha256(url.encode()).hexdigest(), "length": 100, "kind": "shader"})
for url, file, kind in [(sticker_url, work + "/sticker.png", "image"), (music_url, work + "/music.m4a", "music")]:
    content = open(file, "rb").read(); sha = hashlib.sha256(content).hexdigest()
    assets.append({"url": url, "sha256": sha, "length": len(content), "kind": kind})
    call("PUT", "/api/operator/template-assets/" + sha, raw=content, headers=dict(OPERATOR, **{"Content-Type": "application/octet-stream"}))
call("PUT", "/api/operator/template-assets", {"assets": assets}, OPERATOR)
call("PUT", "/api/operator/templates/render-bench", template, OPERATOR)
call("POST", "/api/operator/templates/render-bench/publish", None, OPERATOR)
time.sleep(2)  # the online library refreshes every second
photos = [multipart("/api/images", "%s/photo%d.jpg" % (work, i), user)["imageId"] for i in range(9)]

def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

def follow(video, since):
    while True:
        status = call("GET", "/api/videos/" + video, headers=user)
        if status["status"] == "Ready":
            return at(status["playableAt"]) - since, at(status["readyAt"]) - since, status["durationSeconds"]
        if status["status"] == "Failed":
            sys.exit("failed: %s" % status.get("error"))
        time.sleep(0.25)

def render():
    t0 = time.time()
    accepted = call("POST", "/api/renders", {"templateId": "render-bench", "imageIds": photos}, user)
    return follow(accepted["videoId"], t0)

duration = None
def upload(clip):
    size = len(open(clip, "rb").read())
    created = call("POST", "/api/uploads", {"fileName": "bench.mp4", "contentType": "video/mp4", "sizeBytes": size}, user)
    subprocess.run(["curl", "-fsS", "-X", "PUT", created["uploadUrl"], "-H", "x-ms-blob-type: BlockBlob", "--data-binary", "@" + clip], check=True, stdout=subprocess.DEVNULL)
    return follow(created["videoId"], time.time())

first = render()  # warm-up: JIT, containers; also tells the render's length for the clip
duration = first[2]
clip = work + "/clip.mp4"
subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=720x1280:rate=30:duration=%.3f" % duration,
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=%.3f" % duration,
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip], check=True)
upload(clip)  # warm-up of the upload path
rp, rr, up, ur, ratio = [], [], [], [], []
for i in range(1, runs + 1):
    p, r, _ = render(); q, u, _ = upload(clip)
    rp.append(p); rr.append(r); up.append(q); ur.append(u); ratio.append(r / u)
    load = open("/proc/loadavg").read().split()[0]
    print("run %d: (r) render playable %5.2f s, Ready %6.2f s (%.2fx its %.2f s)   (u) upload playable %5.2f s, Ready %6.2f s   r/u %.3f   load %s"
          % (i, p, r, r / duration, duration, q, u, r / u, load))
m = statistics.median
print("\nmedians over %d runs, 9 photos, %.2f s at 720x1280: (r) playable %.2f s, Ready %.2f s = %.2fx the duration (targets: playable <= 5 s, Ready <= 1.0x)"
      % (runs, duration, m(rp), m(rr), m(rr) / duration))
print("                                                  (u) playable %.2f s, Ready %.2f s = %.2fx;  median r/u %.3f" % (m(up), m(ur), m(ur) / duration, m(ratio)))
PY
