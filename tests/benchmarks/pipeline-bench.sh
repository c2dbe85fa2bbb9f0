#!/usr/bin/env bash
# On-demand benchmark of the upload-to-HLS pipeline (issues 2 and 19), measured side by side in one run:
#   (a) the full pipeline on local Azurite, upload to Ready, for the 3-rendition ladder (360p/540p/720p), and the time
#       from the upload's end to the first status answer saying "playable";
#   (b) one raw ffmpeg command producing the same ladder, HLS and posters from a local file (the transcoder's exact
#       argument list, tests/benchmarks/ladder-1080p30.args, with each rung's rate control as the app's per-title ladder
#       chose it for this clip, read from the app's log);
#   (c) the naive approach of seed 000 §5.2/§5.4: one ffmpeg transcode per rendition to MP4, then a separate
#       `-c copy` HLS segmentation per rendition.
# Runs alternate a, b, c so drift hits all three alike; prints each run, the medians, and the pairwise ratios
# a/b and c/a (median of per-run ratios), plus the app process's peak RSS (VmHWM; ffmpeg is a child, not counted).
#
# Usage: tests/benchmarks/pipeline-bench.sh [runs=3] [seconds=30]
#        BIG_MB=500 tests/benchmarks/pipeline-bench.sh 0   # only the memory check: a >= 500 MB upload through a fresh app
# Needs: the .NET SDK, ffmpeg, Azurite (./dev.sh test or ./dev.sh run installs them into .local/).
set -euo pipefail
runs="${1:-3}"
seconds="${2:-30}"
source "$(dirname "$0")/bench-env.sh"
bench_init pipeline-bench

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

bench_start_azurite

# Every sample setting (bench-env.sh); only the uploads watcher's interval is the benchmark's own (BENCH_WATCH_SECONDS,
# default 0.2): it stands in for Event Grid, which has no polling interval in Azure (it pushes each BlobCreated event to the
# queue as it happens).
start_app() { bench_start_app LocalRuntime__UploadWatchIntervalSeconds="${BENCH_WATCH_SECONDS:-0.2}"; }

# Signs in however the app in this checkout does: a development login if it has one, else the development header.
auth_header() {
  local token
  if token=$(curl -fsS -X POST "http://127.0.0.1:$port/api/auth/login" -H 'Content-Type: application/json' -d '{"code":"dev:bench"}' 2>/dev/null | json "['token']" 2>/dev/null); then
    echo "Authorization: Bearer $token"
  else
    echo "X-Dev-User: bench"
  fi
}

# Waits for a video to be Ready and prints "<playable> <ready>": seconds from $2 (epoch) to the status's playableAt and
# readyAt, the moments the pipeline itself recorded. It polls every 0.5 s over one kept-alive connection from one
# process: polling fast enough to time it from outside (a new curl and python every 0.1 s, as this script once did)
# took CPU from the encode, which runs at nice 10.
watch_status() {
  python3 - "$1" "$2" "$port" "$AUTH" <<'PY'
import datetime, http.client, json, sys, time
video, t_upload, port, auth = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
name, value = auth.split(": ", 1)
conn = http.client.HTTPConnection("127.0.0.1", port)
def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
while True:
    conn.request("GET", "/api/videos/" + video, headers={name: value})
    status = json.loads(conn.getresponse().read())
    if status["status"] == "Ready":
        print("%.2f %.2f" % (at(status["playableAt"]) - t_upload, at(status["readyAt"]) - t_upload)); break
    if status["status"] == "Failed":
        sys.exit("pipeline failed for %s: %s" % (video, status.get("error")))
    time.sleep(0.5)
PY
}

# CPU seconds a process used itself (utime + stime) and used by its children it waited for (cutime + cstime).
cpu_self() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"; }
cpu_children() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
cpu_snapshot() { echo "$(cpu_self "$app_pid") $(cpu_children "$app_pid") $(cpu_self "$azurite_pid")"; }

run_pipeline() { # file → "<upload done → playable> <upload start → Ready> <upload start → upload done> <video id> <CPU: app, its ffmpeg, Azurite>"
  local file=$1 size created video url t0 t1 times before after
  size=$(stat -c %s "$file")
  before=$(cpu_snapshot)
  t0=$(now)
  created=$(curl -fsS -X POST "http://127.0.0.1:$port/api/uploads" -H "$AUTH" -H 'Content-Type: application/json' \
    -d "{\"fileName\":\"bench.mp4\",\"contentType\":\"video/mp4\",\"sizeBytes\":$size}")
  video=$(echo "$created" | json "['videoId']"); url=$(echo "$created" | json "['uploadUrl']")
  curl -fsS -X PUT "$url" -H 'x-ms-blob-type: BlockBlob' --data-binary "@$file" >/dev/null
  t1=$(now)
  times=$(watch_status "$video" "$t1")
  after=$(cpu_snapshot)
  awk -v p="${times% *}" -v r="${times#* }" -v a="$t0" -v b="$t1" -v v="$video" -v c0="$before" -v c1="$after" \
    'BEGIN { split(c0, x, " "); split(c1, y, " "); printf "%.2f %.2f %.2f %s %.2f %.2f %.2f", p, r + (b - a), b - a, v, y[1] - x[1], y[2] - x[2], y[3] - x[3] }'
}

# Where the video's time went, from the app's own log lines: the probe step (with the per-title look) and the transcode
# step as the activities timed them, the look alone, and the rest (the POST and PUT, event delivery, the engine's hand-offs,
# the publish) as what is left of (a).
breakdown() { # video a upload
  local video=$1 a=$2 upload=$3 probe transcode look
  probe=$(grep -o "Video $video: ProbeSource attempt [0-9]* completed in [0-9.]* s" "$work/app.log" | tail -n1 | awk '{ print $(NF-1) }')
  transcode=$(grep -o "Video $video: TranscodeLadder attempt [0-9]* completed in [0-9.]* s" "$work/app.log" | tail -n1 | awk '{ print $(NF-1) }')
  look=$(grep -o 'Per-title ladder: .*; planned in [0-9.]* s' "$work/app.log" | tail -n1 | awk '{ print $(NF-1) }')
  awk -v a="$a" -v u="$upload" -v p="${probe:-0}" -v l="${look:-0}" -v t="${transcode:-0}" \
    'BEGIN { printf "upload (POST+PUT) %.2f s, probe step %.1f s (the look %.2f s), transcode step %.1f s, the rest %.2f s", u, p, l, t, a - u - p - t }'
}

mapfile -t template < "$here/ladder-1080p30.args"
# With the per-title ladder on, (b) encodes the rungs the way the app chose for this clip: each rung its app logged as
# "crf N ≤Xk" takes -crf:v:i N -maxrate:v:i Xk instead of the fixed -b:v:i / -maxrate:v:i (the same output as the app's).
per_title_template() {
  local plan
  plan=$(grep -o 'Per-title ladder: .*; planned in' "$work/app.log" | tail -n1 | sed 's/.*: \([^:]*\); planned in$/\1/')
  [[ -n "$plan" ]] || { echo "(b) is the fixed ladder's command: the app logged no per-title plan" >&2; return; }
  echo "(b) encodes as the app planned this clip: $plan" >&2
  mapfile -t template < <(python3 - "$plan" "${template[@]}" <<'PY'
import re, sys
plan, args = sys.argv[1], sys.argv[2:]
rungs = [r.strip() for r in plan.split(",")]
names = re.findall(r"name:(\w+)", " ".join(args))
if [r.split()[0] for r in rungs] != names:
    sys.exit("the plan leaves out rungs (%s): (b) would not be the same ladder" % plan)
out, i = [], 0
while i < len(args):
    m = re.match(r"-b:v:(\d+)$", args[i])
    if m:
        rung = rungs[int(m.group(1))].split()
        if len(rung) >= 4 and rung[1] == "crf":
            out += ["-crf:v:" + m.group(1), rung[2], "-maxrate:v:" + m.group(1), rung[3].lstrip("≤")]
            i += 4  # -b:v:i X -maxrate:v:i Y
            continue
    out.append(args[i]); i += 1
print("\n".join(out))
PY
  )
}

run_raw() { # one ffmpeg pass, the transcoder's exact arguments → "<seconds> <CPU seconds>"
  local out="$work/raw"; rm -rf "$out"; mkdir -p "$out"
  local cmd=() a t0 c0 me=$BASHPID
  for a in "${template[@]}"; do a="${a//file:\/bench\/source.mp4/file:$source}"; cmd+=("${a//\/bench\/out/$out}"); done
  c0=$(cpu_children "$me"); t0=$(now); ffmpeg -nostdin "${cmd[@]}" >/dev/null
  echo "$(elapsed "$t0" "$(now)") $(awk -v a="$c0" -v b="$(cpu_children "$me")" 'BEGIN { printf "%.2f", b - a }')"
}

run_naive() { # per rendition: transcode to MP4, then segment with -c copy
  local out="$work/naive" t0 r name w h v
  rm -rf "$out"; mkdir -p "$out"
  t0=$(now)
  for r in "360p 640 360 800" "540p 960 540 1500" "720p 1280 720 2800"; do
    read -r name w h v <<<"$r"
    mkdir -p "$out/$name"
    ffmpeg -nostdin -v error -y -i "$source" -vf "scale=$w:$h" -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p \
      -b:v "${v}k" -maxrate "$((v * 3 / 2))k" -bufsize "$((v * 2))k" -g 60 -keyint_min 60 -sc_threshold 0 \
      -c:a aac -b:a 128k -ac 2 "$out/$name.mp4"
    ffmpeg -nostdin -v error -y -i "$out/$name.mp4" -c copy -f hls -hls_time 6 -hls_playlist_type vod \
      -hls_segment_filename "$out/$name/seg_%05d.ts" "$out/$name/index.m3u8"
  done
  elapsed "$t0" "$(now)"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

start_app
AUTH=$(auth_header)

if (( runs > 0 )); then
  source="$work/source.mp4"
  echo "Generating a ${seconds} s 1080p30 source..." >&2
  ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=${seconds}" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=${seconds}" \
    -c:v libx264 -preset ultrafast -crf 16 -pix_fmt yuv420p -ac 2 -c:a aac -b:a 128k -shortest "$source"
  run_pipeline "$source" >/dev/null # warm-up: JIT, containers, caches
  per_title_template
  as=(); bs=(); cs=(); ps=(); ab=(); ca=(); pa=(); eb=()
  for ((i = 1; i <= runs; i++)); do
    read -r p a upload video app_cpu ffmpeg_cpu azurite_cpu <<<"$(run_pipeline "$source")"
    read -r b b_cpu <<<"$(run_raw)"; c=$(run_naive)
    as+=("$a"); bs+=("$b"); cs+=("$c"); ps+=("$p")
    ab+=("$(awk -v x="$a" -v y="$b" 'BEGIN { print x / y }')"); ca+=("$(awk -v x="$c" -v y="$a" 'BEGIN { print x / y }')")
    pa+=("$(awk -v x="$p" -v y="$a" 'BEGIN { print x / y }')"); eb+=("$(awk -v x="$a" -v u="$upload" -v y="$b" 'BEGIN { print (x - u) / y }')")
    printf 'run %d: (a) pipeline %6.2f s (playable %5.2f s after the upload)   (b) raw ffmpeg %6.2f s   (c) naive %6.2f s   a/b %.3f   c/a %.3f   load %s\n' \
      "$i" "$a" "$p" "$b" "$c" "${ab[-1]}" "${ca[-1]}" "$(cut -d' ' -f1 /proc/loadavg)"
    printf '       (a) was: %s\n' "$(breakdown "$video" "$a" "$upload")"
    printf '       CPU seconds: (a) ffmpeg and ffprobe %.2f, the app %.2f, Azurite %.2f (storage, which is not on the instance in Azure); (b) ffmpeg %.2f\n' \
      "$ffmpeg_cpu" "$app_cpu" "$azurite_cpu" "$b_cpu"
  done
  printf '\nmedians over %d runs of a %s s clip: (a) %.2f s  (b) %.2f s  (c) %.2f s  first playable %.2f s after the upload\n' \
    "$runs" "$seconds" "$(median "${as[@]}")" "$(median "${bs[@]}")" "$(median "${cs[@]}")" "$(median "${ps[@]}")"
  printf 'median ratios: a/b %.3f (target <= 1.10)   c/a %.3f (target >= 1)   playable/a %.3f (target <= 0.25; playable target <= 5 s)   (b)/clip %.2fx real time\n' \
    "$(median "${ab[@]}")" "$(median "${ca[@]}")" "$(median "${pa[@]}")" "$(awk -v b="$(median "${bs[@]}")" -v d="$seconds" 'BEGIN { print b / d }')"
  printf '               (a) from the end of the upload instead of its start, over (b): %.3f\n' "$(median "${eb[@]}")"
  printf 'app peak RSS (VmHWM): %s\n' "$(grep VmHWM /proc/"$app_pid"/status | awk '{ printf "%.0f MB", $2 / 1024 }')"
fi

if [[ -n "${BIG_MB:-}" ]]; then
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true
  start_app
  AUTH=$(auth_header)
  big="$work/big.mp4"
  echo "Generating a source of at least ${BIG_MB} MB..." >&2
  ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=10" -f lavfi -i "sine=duration=10" \
    -c:v libx264 -preset ultrafast -qp 4 -pix_fmt yuv420p -c:a aac -shortest "$work/probe.mp4"
  per_second=$(( $(stat -c %s "$work/probe.mp4") / 10 ))
  long=$(( (BIG_MB * 1024 * 1024 / per_second) + 2 )); (( long > 180 )) && long=180
  ffmpeg -hide_banner -nostdin -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=$long" -f lavfi -i "sine=duration=$long" \
    -c:v libx264 -preset ultrafast -qp 4 -pix_fmt yuv420p -c:a aac -shortest "$big"
  mb=$(( $(stat -c %s "$big") / 1024 / 1024 ))
  read -r p a _ <<<"$(run_pipeline "$big")"
  printf '\n%d MB upload (%d s of 1080p30): upload to Ready %.1f s (playable %.1f s after the upload); app peak RSS (VmHWM) %s (target < 300 MB)\n' \
    "$mb" "$long" "$a" "$p" "$(grep VmHWM /proc/"$app_pid"/status | awk '{ printf "%.0f MB", $2 / 1024 }')"
fi
