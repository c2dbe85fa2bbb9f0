using System.Text.Json.Serialization;
using Serverless.Templates.Protocol;

namespace Serverless.Templates.Timeline;

/// <summary>One node of a concrete timeline.</summary>
/// <param name="Node">Index of the template node it plays.</param>
/// <param name="Pass">0 for the template's first pass, 1 for the first repetition, ….</param>
/// <param name="Start">Seconds from the start of the timeline.</param>
/// <param name="ImageIndex">For image nodes: which of the user's images (0-based) it shows.</param>
public sealed record TimelineNode(
    [property: JsonPropertyName("node")] int Node,
    [property: JsonPropertyName("pass")] int Pass,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] NodeType Type,
    [property: JsonPropertyName("start")] double Start,
    [property: JsonPropertyName("duration")] double Duration,
    [property: JsonPropertyName("imageIndex")] int? ImageIndex,
    [property: JsonPropertyName("shader")] NodeShader Shader);

/// <summary>The template played with a given number of images: ordered nodes, stickers clipped to the duration, music.</summary>
public sealed record TemplateTimeline(
    [property: JsonPropertyName("templateId")] string TemplateId,
    [property: JsonPropertyName("templateVersion")] long TemplateVersion,
    [property: JsonPropertyName("imageCount")] int ImageCount,
    [property: JsonPropertyName("duration")] double Duration,
    [property: JsonPropertyName("aspectRatio")] string AspectRatio,
    [property: JsonPropertyName("nodes")] IReadOnlyList<TimelineNode> Nodes,
    [property: JsonPropertyName("tracks")] IReadOnlyList<TemplateTrack> Tracks,
    [property: JsonPropertyName("music")] MusicReference? Music);

/// <summary>
/// Combines a template with N images (seed 004, "循环模板"): nodes play in order; a loop template repeats them,
/// skipping <c>once</c> nodes after the first pass and skipping any node that would sit next to a node of its
/// own type; the timeline ends right after the N-th image. The result obeys the play protocol. Pure.
/// </summary>
public static class TimelineExpander
{
    /// <summary>Expands a valid template (see <see cref="TemplateValidator"/>) for <paramref name="imageCount"/> images.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The template cannot show that many images.</exception>
    public static TemplateTimeline Expand(MotionTemplate template, int imageCount)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (!Supports(template, imageCount))
        {
            throw new ArgumentOutOfRangeException(nameof(imageCount), imageCount,
                $"Template '{template.Id}' shows {template.EffectiveMinImageCount}-{template.EffectiveMaxImageCount} images.");
        }

        var nodes = template.Nodes;
        var result = new List<TimelineNode>(Math.Min(imageCount * 2, 4 * TemplateLimits.MaxImageCount));
        var images = 0;
        var clock = 0.0;
        NodeType? last = null;
        var pass = 0;
        var passesWithoutImage = 0;
        while (images < imageCount)
        {
            var imagesBefore = images;
            for (var i = 0; i < nodes.Count && images < imageCount; i++)
            {
                var node = nodes[i];
                if ((pass > 0 && node.Once) || node.Type == last)
                {
                    continue;
                }

                int? imageIndex = node.Type == NodeType.Image ? images++ : null;
                result.Add(new TimelineNode(i, pass, node.Name, node.Type, clock, node.Duration, imageIndex, node.Shader));
                clock += node.Duration;
                last = node.Type;
            }

            if (!template.Loop)
            {
                break;
            }

            // A valid loop template shows an image at least every second pass; guard against invalid ones.
            passesWithoutImage = images == imagesBefore ? passesWithoutImage + 1 : 0;
            if (passesWithoutImage > 1)
            {
                throw new InvalidOperationException($"Template '{template.Id}' cannot repeat: its repeating part has no image or no transition.");
            }

            pass++;
        }

        if (images < imageCount)
        {
            throw new InvalidOperationException($"Template '{template.Id}' shows only {images} images.");
        }

        return new TemplateTimeline(template.Id, template.Version, imageCount, clock, template.AspectRatio, result,
            ClipTracks(template.Tracks, clock), template.Music);
    }

    /// <summary>Whether the template is offered for <paramref name="imageCount"/> images: within the protocol's limit and the
    /// template's effective range (absent counts take their defaults, see <see cref="MotionTemplate.EffectiveMaxImageCount"/>).</summary>
    public static bool Supports(MotionTemplate template, int imageCount) =>
        imageCount >= 1 && imageCount <= TemplateLimits.MaxImageCount
        && imageCount >= template.EffectiveMinImageCount && imageCount <= template.EffectiveMaxImageCount;

    /// <summary>Stickers that start before the end, cut to end with the timeline; empty tracks are dropped.</summary>
    public static IReadOnlyList<TemplateTrack> ClipTracks(IReadOnlyList<TemplateTrack> tracks, double total)
    {
        var result = new List<TemplateTrack>(tracks.Count);
        foreach (var track in tracks)
        {
            var items = new List<TrackItem>(track.List.Count);
            foreach (var item in track.List)
            {
                if (item.Position >= total)
                {
                    continue;
                }

                var duration = Math.Min(item.Duration, total - item.Position);
                items.Add(duration == item.Duration ? item : new TrackItem
                {
                    Type = item.Type,
                    Position = item.Position,
                    Duration = duration,
                    Data = item.Data,
                    Shader = item.Shader,
                });
            }

            if (items.Count > 0)
            {
                result.Add(new TemplateTrack { Type = track.Type, List = items });
            }
        }

        return result;
    }
}
