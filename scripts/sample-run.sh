#!/usr/bin/env bash
# Takes a generated sample clip through upload → pipeline → Ready → signed playback URL on a running app.
set -euo pipefail
BASE=${1:-http://127.0.0.1:7071}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

# As the demo page's default user (the sign-in field's value in functions/Web/site/index.html), so the page opens on this clip.
SAMPLE_USER=${SAMPLE_USER:-demo}
echo "==> POST /api/auth/login (development sign-in, dev:$SAMPLE_USER)"
token=$(curl -fsS -X POST "$BASE/api/auth/login" -H 'Content-Type: application/json' -d "{\"code\":\"dev:$SAMPLE_USER\"}" | json "['token']")
USER_HEADER="Authorization: Bearer $token"

echo "==> Generating a 6 s 1280x720 sample clip with ffmpeg"
ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=6" -f lavfi -i "sine=frequency=440:duration=6" \
  -c:v libx264 -pix_fmt yuv420p -preset veryfast -c:a aac -shortest "$WORK/sample.mp4"
size=$(stat -c %s "$WORK/sample.mp4")

echo "==> POST /api/uploads"
created=$(curl -fsS -X POST "$BASE/api/uploads" -H "$USER_HEADER" -H 'Content-Type: application/json' \
  -d "{\"fileName\":\"sample.mp4\",\"contentType\":\"video/mp4\",\"sizeBytes\":$size}")
video=$(echo "$created" | json "['videoId']")
upload=$(echo "$created" | json "['uploadUrl']")
echo "    videoId $video"

echo "==> PUT the file to its create-only SAS URL"
curl -fsS -X PUT "$upload" -H 'x-ms-blob-type: BlockBlob' -H 'Content-Type: video/mp4' --data-binary "@$WORK/sample.mp4" >/dev/null

echo "==> Waiting for the pipeline"
last=""
for _ in $(seq 1 600); do
  status=$(curl -fsS "$BASE/api/videos/$video" -H "$USER_HEADER")
  line=$(echo "$status" | json "['status'] + ' ' + d['stage'] + ' ' + str(d['progress']) + '%' + (' · playable' if d.get('playable') else '')")
  [ "$line" != "$last" ] && echo "    $line" && last=$line
  case "$line" in Ready*|Failed*) break ;; esac
  sleep 0.5
done
echo "==> Status"
echo "$status" | python3 -m json.tool
case "$line" in Ready*) ;; *) echo "The sample did not become Ready." >&2; exit 1 ;; esac

echo "==> GET /api/videos/$video/playback"
if playback=$(curl -fsS "$BASE/api/videos/$video/playback" -H "$USER_HEADER" 2>/dev/null); then
  echo "$playback" | python3 -m json.tool
  url=$(echo "$playback" | json "['url']")
  echo "==> First lines of the signed master playlist"
  curl -fsS "$url" | head -8
  echo
  echo "Play it: ffplay '$url'   (or: ffprobe -v error -show_format '$url')"
else
  echo "    (the playback API is not available in this build)"
fi
