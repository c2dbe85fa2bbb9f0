namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// The real ffmpeg, reading its input at the clip's own pace (<c>-readrate 1</c>, as a camera delivers it): an encode lasts
/// at least the clip's duration whatever the machine's load, so a test can act while a video is being produced without
/// depending on a race.
/// </summary>
public static class PacedFfmpeg
{
    /// <summary>Writes the wrapper into <paramref name="folder"/> and returns its path (for <c>Media__FfmpegPath</c>).</summary>
    public static string Create(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "ffmpeg-paced");
        File.WriteAllText(path, """
            #!/usr/bin/env bash
            args=(); paced=0
            for a in "$@"; do
              if [[ $paced == 0 && $a == -i ]]; then args+=(-readrate 1); paced=1; fi
              args+=("$a")
            done
            exec ffmpeg "${args[@]}"
            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
