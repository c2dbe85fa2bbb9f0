#!/usr/bin/env bash
# On-demand benchmark of the media layer's single-pass ladder transcode (issue 2).
#
# Generates a 30 s 1080p30 clip (testsrc2 + sine), runs the transcoder's exact ffmpeg command
# (tests/benchmarks/ladder-1080p30.args, kept identical to HlsArguments.Build for the default ladder by the unit test
# HlsArgumentsTests.Build_Default1080p30Ladder_MatchesBenchmarkCommand), times it against the clip duration, and measures
# SSIM of each rendition against the source scaled to the rendition's size (floor 0.95).
#
# Usage: tests/benchmarks/ladder-quality.sh [runs=3] [seconds=30]
# Env:   FFMPEG (default ffmpeg), SOURCE=path to use an existing clip instead of generating one, KEEP=1 to keep the work folder.
# Reports wall time and ffmpeg's CPU time with the load average: on a shared machine the wall ratio is only meaningful when idle.
set -euo pipefail

runs="${1:-3}"
seconds="${2:-30}"
ffmpeg="${FFMPEG:-ffmpeg}"
here="$(cd "$(dirname "$0")" && pwd)"
args_file="$here/ladder-1080p30.args"
work="$(mktemp -d -t ladder-bench-XXXXXX)"
[[ "${KEEP:-0}" == 1 ]] || trap 'rm -rf "$work"' EXIT

source_clip="${SOURCE:-$work/source.mp4}"
if [[ -z "${SOURCE:-}" ]]; then
  echo "Generating ${seconds} s 1080p30 source..." >&2
  "$ffmpeg" -hide_banner -nostdin -v error -y \
    -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=${seconds}" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=${seconds}" \
    -c:v libx264 -preset ultrafast -crf 16 -pix_fmt yuv420p -ac 2 -c:a aac -b:a 128k -shortest "$source_clip"
fi
duration="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$source_clip")"

# The exact argument list, with the placeholders pointed at this run's files.
mapfile -t template < "$args_file"
build_args() {
  local out="$1"
  cmd=()
  for a in "${template[@]}"; do
    a="${a//file:\/bench\/source.mp4/file:$source_clip}"
    a="${a//\/bench\/out/$out}"
    cmd+=("$a")
  done
}

times=()
cpus=()
for ((i = 1; i <= runs; i++)); do
  out="$work/out$i"
  mkdir -p "$out"
  build_args "$out"
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/cpu$i" "$ffmpeg" -nostdin "${cmd[@]}" > /dev/null
  end=$(date +%s.%N)
  t=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  cpu=$(awk '{ print $1 + $2 }' "$work/cpu$i")
  times+=("$t")
  cpus+=("$cpu")
  printf 'run %d: wall %.2f s (%.2fx the clip), cpu %.1f s, load average before %s on %d cores\n' \
    "$i" "$t" "$(awk -v a="$t" -v b="$duration" 'BEGIN { print a / b }')" "$cpu" "$load" "$(nproc)" >&2
done

median_of() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
median=$(median_of "${times[@]}")
median_cpu=$(median_of "${cpus[@]}")
printf '\ntranscode: median wall %.2f s over %d runs for a %.1f s clip = %.2fx real time (target about 0.8x on an idle 2-core machine)\n' \
  "$median" "$runs" "$duration" "$(awk -v a="$median" -v b="$duration" 'BEGIN { print a / b }')"
# CPU time does not grow with contention from other processes the way wall time does: cpu / (cores x clip) is the wall ratio
# the same work would take on an idle machine if ffmpeg kept every core busy (a lower bound).
printf 'transcode: median cpu %.1f s = %.2fx the clip per core; idle-machine estimate cpu / (%d x clip) = %.2fx\n' \
  "$median_cpu" "$(awk -v a="$median_cpu" -v b="$duration" 'BEGIN { print a / b }')" "$(nproc)" \
  "$(awk -v a="$median_cpu" -v b="$duration" -v c="$(nproc)" 'BEGIN { print a / b / c }')"

# ffmpeg's own playlist keeps only the latest segment (the app's watcher keeps the whole list while it publishes live):
# rebuild the whole one from the segment files, each with its duration.
full_playlist() {
  local dir="$1" f
  { echo '#EXTM3U'; echo '#EXT-X-VERSION:3'; echo '#EXT-X-TARGETDURATION:6'; echo '#EXT-X-PLAYLIST-TYPE:VOD'
    for f in "$dir"/seg_*.ts; do
      printf '#EXTINF:%s,\n%s\n' "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")" "$(basename "$f")"
    done
    echo '#EXT-X-ENDLIST'; } > "$dir/full.m3u8"
}

# SSIM per rendition vs the source scaled (bicubic) to the rendition's size.
out="$work/out1"
printf '%-6s %-10s %12s %12s %8s\n' rung size avg_kbps peak_kbps ssim
fail=0
for dir in "$out"/*/; do
  name="$(basename "$dir")"
  full_playlist "$dir"
  playlist="$dir/full.m3u8"
  size="$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$playlist" | sed -n 1p)"
  w="${size%x*}"; h="${size#*x}"
  ssim="$("$ffmpeg" -hide_banner -nostdin -i "$playlist" -i "$source_clip" \
    -lavfi "[1:v]scale=${w}:${h}:flags=bicubic,setsar=1,setpts=PTS-STARTPTS[ref];[0:v]setsar=1,setpts=PTS-STARTPTS[dist];[dist][ref]ssim" -f null - 2>&1 \
    | sed -n 's/.*SSIM .* All:\([0-9.]*\).*/\1/p' | tail -n1)"
  # Bandwidths measured the way the transcoder does: bits / EXTINF per segment (peak) and overall (average).
  read -r avg peak < <(awk -v d="$dir" '
    /^#EXTINF:/ { sub(/^#EXTINF:/, ""); sub(/,.*/, ""); dur = $0; next }
    /^[^#]/ { cmd = "stat -c %s \"" d $0 "\""; cmd | getline bytes; close(cmd); bits = bytes * 8;
              tb += bits; td += dur; r = bits / dur; if (r > pk) pk = r }
    END { printf "%d %d\n", tb / td / 1000, pk / 1000 }' "$playlist")
  printf '%-6s %-10s %12s %12s %8s\n' "$name" "$size" "$avg" "$peak" "$ssim"
  if [[ -z "$ssim" ]] || awk -v s="$ssim" 'BEGIN { exit !(s < 0.95) }'; then fail=1; fi
done
[[ "${KEEP:-0}" == 1 ]] && echo "kept: $work" >&2
exit "$fail"
