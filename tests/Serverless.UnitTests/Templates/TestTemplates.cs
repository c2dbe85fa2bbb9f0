using System.Text.Json;
using Serverless.Templates.Protocol;

namespace Serverless.UnitTests.Templates;

/// <summary>Templates built from the seed's nodes, and a seeded generator of random valid templates.</summary>
internal static class TestTemplates
{
    public static TemplateNode SeedImage => JsonSerializer.Deserialize<TemplateNode>(SeedExamples.ImageNode, TemplateJson.Options)!;

    public static TemplateNode SeedTransition => JsonSerializer.Deserialize<TemplateNode>(SeedExamples.TransitionNode, TemplateJson.Options)!;

    public static IReadOnlyList<TemplateTrack> SeedTracks =>
        JsonSerializer.Deserialize<Dictionary<string, IReadOnlyList<TemplateTrack>>>("{" + SeedExamples.StickerTracks + "}", TemplateJson.Options)!["tracks"];

    /// <summary>The seed's image and transition alternating, image first and last, with the seed's sticker track.</summary>
    /// <param name="imageCounts">false leaves out <c>minImageCount</c> and <c>maxImageCount</c>, so they take their defaults.</param>
    public static string SeedTemplateJson(string id = "seed-template", int images = 3, bool loop = false, bool imageCounts = true) =>
        "{\"id\":\"" + id + "\",\"name\":\"卓别林\",\"version\":1,\"category\":\"digital\",\"tags\":[\"digital\",\"fresh\"],\"aspectRatio\":\"9:16\"" +
        (imageCounts ? ",\"minImageCount\":1,\"maxImageCount\":" + (loop ? 200 : images) : string.Empty) + (loop ? ",\"loop\":true" : string.Empty) +
        ",\"music\":{\"id\":\"m1\",\"name\":\"Limelight\",\"url\":\"https://cdn.example.com/music/limelight.m4a\",\"duration\":30}," +
        "\"nodes\":[" + string.Join(",", Enumerable.Range(0, images * 2 - 1).Select(i => i % 2 == 0 ? SeedExamples.ImageNode : SeedExamples.TransitionNode)) +
        "]," + SeedExamples.StickerTracks + "}";

    public static TemplateNode Node(NodeType type, string name, double duration, bool once = false) => new()
    {
        Name = name,
        Type = type,
        Duration = duration,
        Once = once,
        Shader = new NodeShader
        {
            VertexUrl = "https://cdn.example.com/shaders/" + name + ".vert",
            FragmentUrl = "https://cdn.example.com/shaders/" + name + ".frag",
            Uniforms = new Dictionary<string, UniformValue> { ["u_Scale"] = new(1.0) },
        },
    };

    /// <summary>A template of <paramref name="nodes"/>; a null <paramref name="min"/> or <paramref name="max"/> leaves the count absent (its default applies).</summary>
    public static MotionTemplate Template(IReadOnlyList<TemplateNode> nodes, bool loop, int? min = null, int? max = null, string id = "t", IReadOnlyList<TemplateTrack>? tracks = null) => new()
    {
        Id = id,
        Name = id,
        Loop = loop,
        MinImageCount = min,
        MaxImageCount = max,
        Nodes = nodes,
        Tracks = tracks ?? [],
    };

    /// <summary>A random valid loop template: alternating nodes starting with an image, random tail, random <c>once</c> flags,
    /// whose repeating part keeps at least one image and one transition.</summary>
    public static MotionTemplate RandomLoop(Random random, string id = "loop")
    {
        while (true)
        {
            var count = random.Next(1, 12);
            var nodes = new List<TemplateNode>(count);
            for (var i = 0; i < count; i++)
            {
                var type = i % 2 == 0 ? NodeType.Image : NodeType.Transition;
                var duration = random.Next(4) == 0 ? 0 : Math.Round(random.NextDouble() * 3, 2);
                nodes.Add(Node(type, $"{type}{i}", duration, once: random.Next(3) == 0));
            }

            var repeating = nodes.Where(n => !n.Once).ToList();
            if (repeating.Any(n => n.Type == NodeType.Image) && repeating.Any(n => n.Type == NodeType.Transition))
            {
                return Template(nodes, loop: true, id: id);
            }
        }
    }
}
