using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Templates.Protocol;

/// <summary>
/// A Chaplin motion template (seed 004): still images played as an animated slideshow. The client plays
/// <see cref="Nodes"/> in order (image effects and transitions, each an OpenGL shader) with <see cref="Tracks"/>
/// (stickers) on top and <see cref="Music"/> underneath. JSON property names are the protocol's, as in the seed.
/// </summary>
public sealed class MotionTemplate
{
    /// <summary>Stable id: lowercase letters, digits and '-', 1–64 characters.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>The template's revision, assigned by the server on every save to staging.</summary>
    [JsonPropertyName("version")]
    public long Version { get; init; }

    /// <summary>The category the template is recommended for (e.g. "digital", "fashion").</summary>
    [JsonPropertyName("category")]
    public string? Category { get; init; }

    /// <summary>Templates of one family look alike; recommendations never show two of a family in a row. Defaults to the id.</summary>
    [JsonPropertyName("family")]
    public string? Family { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Width:height of the canvas, e.g. "9:16".</summary>
    [JsonPropertyName("aspectRatio")]
    public string AspectRatio { get; init; } = "9:16";

    [JsonPropertyName("music")]
    public MusicReference? Music { get; init; }

    /// <summary>Fewest images the template is offered for, as written; absent means 1 (see <see cref="EffectiveMinImageCount"/>).</summary>
    [JsonPropertyName("minImageCount")]
    public int? MinImageCount { get; init; }

    /// <summary>Most images the template is offered for, as written; absent means the template's own limit (see
    /// <see cref="EffectiveMaxImageCount"/>). A non-loop template cannot show more than its image nodes.</summary>
    [JsonPropertyName("maxImageCount")]
    public int? MaxImageCount { get; init; }

    /// <summary>A loop template repeats its nodes (skipping <c>once</c> nodes after the first pass) until every image is shown.</summary>
    [JsonPropertyName("loop")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Loop { get; init; }

    /// <summary>Largest share of all template impressions this template may take in the exposure window; null uses the default.</summary>
    [JsonPropertyName("exposureCap")]
    public double? ExposureCap { get; init; }

    [JsonPropertyName("nodes")]
    public IReadOnlyList<TemplateNode> Nodes { get; init; } = [];

    [JsonPropertyName("tracks")]
    public IReadOnlyList<TemplateTrack> Tracks { get; init; } = [];

    [JsonIgnore]
    public string EffectiveFamily => string.IsNullOrEmpty(Family) ? Id : Family;

    /// <summary>Fewest images the template is offered for: <see cref="MinImageCount"/>, else 1 (a template ends
    /// right after its last image, so it can show fewer images than it has image nodes).</summary>
    [JsonIgnore]
    public int EffectiveMinImageCount => MinImageCount ?? 1;

    /// <summary>Most images the template is offered for: <see cref="MaxImageCount"/>, else, for a loop template (whose
    /// point is an unknown number of images, seed 004 循环模板), the protocol's <see cref="TemplateLimits.MaxImageCount"/>,
    /// and for a template that does not loop, its number of image nodes.</summary>
    [JsonIgnore]
    public int EffectiveMaxImageCount => MaxImageCount ?? (Loop ? TemplateLimits.MaxImageCount : ImageNodeCount);

    [JsonIgnore]
    public int ImageNodeCount => Nodes.Count(n => n.Type == NodeType.Image);

    /// <summary>This template with its effective image-count range written out, as clients sync it (they filter
    /// templates by it); the template itself when both counts are already written.</summary>
    public MotionTemplate WithEffectiveImageCounts() => MinImageCount is not null && MaxImageCount is not null ? this : new()
    {
        Id = Id,
        Name = Name,
        Version = Version,
        Category = Category,
        Family = Family,
        Tags = Tags,
        AspectRatio = AspectRatio,
        Music = Music,
        MinImageCount = EffectiveMinImageCount,
        MaxImageCount = EffectiveMaxImageCount,
        Loop = Loop,
        ExposureCap = ExposureCap,
        Nodes = Nodes,
        Tracks = Tracks,
    };
}

public enum NodeType
{
    [JsonStringEnumMemberName("image")]
    Image,

    [JsonStringEnumMemberName("transition")]
    Transition,
}

/// <summary>An image node (shows the next image with an effect) or a transition node (blends two images).</summary>
public sealed class TemplateNode
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("type")]
    public required NodeType Type { get; init; }

    /// <summary>Seconds; 0 is allowed (an instant transition).</summary>
    [JsonPropertyName("duration")]
    public required double Duration { get; init; }

    [JsonPropertyName("shader")]
    public required NodeShader Shader { get; init; }

    /// <summary>Played on the first pass of a loop template only.</summary>
    [JsonPropertyName("once")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Once { get; init; }
}

/// <summary>The shader node protocol: vertex and fragment shader sources and their uniforms.</summary>
public sealed class NodeShader
{
    [JsonPropertyName("vertexURL")]
    public required string VertexUrl { get; init; }

    [JsonPropertyName("fragmentURL")]
    public required string FragmentUrl { get; init; }

    [JsonPropertyName("uniforms")]
    public IReadOnlyDictionary<string, UniformValue> Uniforms { get; init; } = new Dictionary<string, UniformValue>();
}

/// <summary>A float uniform, or a vector/matrix of up to 16 floats (JSON number or array of numbers).</summary>
[JsonConverter(typeof(UniformValueConverter))]
public readonly record struct UniformValue
{
    private readonly double[]? _components;

    public UniformValue(double scalar) => _components = [scalar];

    public UniformValue(IReadOnlyList<double> components, bool isVector)
    {
        _components = [.. components];
        IsVector = isVector;
    }

    public bool IsVector { get; }

    public IReadOnlyList<double> Components => _components ?? [];

    public bool Equals(UniformValue other) => IsVector == other.IsVector && Components.SequenceEqual(other.Components);

    public override int GetHashCode() => HashCode.Combine(IsVector, Components.Count, Components.Count > 0 ? Components[0] : 0);
}

/// <summary>A sticker/overlay layer. The seed's only track type is <c>ShaderTrack</c>.</summary>
public sealed class TemplateTrack
{
    [JsonPropertyName("type")]
    public required TrackType Type { get; init; }

    [JsonPropertyName("list")]
    public IReadOnlyList<TrackItem> List { get; init; } = [];
}

public enum TrackType
{
    [JsonStringEnumMemberName("ShaderTrack")]
    ShaderTrack,
}

/// <summary>One sticker on a track: shown from <see cref="Position"/> for <see cref="Duration"/> seconds (clipped to the timeline).</summary>
public sealed class TrackItem
{
    /// <summary>The sticker kind, e.g. "PopImage".</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>Start, seconds from the beginning of the timeline.</summary>
    [JsonPropertyName("position")]
    public required double Position { get; init; }

    /// <summary>Seconds; a long duration (the seed uses 3600) means "until the end".</summary>
    [JsonPropertyName("duration")]
    public required double Duration { get; init; }

    /// <summary>Free-form data for the sticker kind, passed through as is.</summary>
    [JsonPropertyName("data")]
    public JsonElement? Data { get; init; }

    [JsonPropertyName("shader")]
    public required TrackShader Shader { get; init; }
}

public sealed class TrackShader
{
    [JsonPropertyName("vertexURL")]
    public required string VertexUrl { get; init; }

    [JsonPropertyName("fragmentURL")]
    public required string FragmentUrl { get; init; }

    /// <summary>The vertex attribute receiving the sticker's placement, e.g. "a_Position".</summary>
    [JsonPropertyName("vertexCoordinatesName")]
    public string? VertexCoordinatesName { get; init; }

    [JsonPropertyName("vertexCoordinatesValue")]
    public Region? VertexCoordinatesValue { get; init; }

    [JsonPropertyName("images")]
    public IReadOnlyList<TrackImage> Images { get; init; } = [];

    [JsonPropertyName("uniforms")]
    public IReadOnlyDictionary<string, UniformValue> Uniforms { get; init; } = new Dictionary<string, UniformValue>();
}

/// <summary>A region in protocol coordinates ([0,1] on both axes), optionally pinned by a rectangle in dp.</summary>
public sealed class Region
{
    [JsonPropertyName("x")]
    public required double X { get; init; }

    [JsonPropertyName("y")]
    public required double Y { get; init; }

    [JsonPropertyName("width")]
    public required double Width { get; init; }

    [JsonPropertyName("height")]
    public required double Height { get; init; }

    [JsonPropertyName("rect")]
    public DpRect? Rect { get; init; }
}

/// <summary>Placement in density-independent pixels ("8dp"), any subset of the edges and size.</summary>
public sealed class DpRect
{
    [JsonPropertyName("top")]
    public Dp? Top { get; init; }

    [JsonPropertyName("right")]
    public Dp? Right { get; init; }

    [JsonPropertyName("bottom")]
    public Dp? Bottom { get; init; }

    [JsonPropertyName("left")]
    public Dp? Left { get; init; }

    [JsonPropertyName("width")]
    public Dp? Width { get; init; }

    [JsonPropertyName("height")]
    public Dp? Height { get; init; }
}

/// <summary>A length in dp, written "8dp" in JSON.</summary>
[JsonConverter(typeof(DpConverter))]
public readonly record struct Dp(double Value);

public sealed class TrackImage
{
    [JsonPropertyName("textureCoordinatesName")]
    public required string TextureCoordinatesName { get; init; }

    [JsonPropertyName("textureCoordinatesValue")]
    public required Region TextureCoordinatesValue { get; init; }

    [JsonPropertyName("textureName")]
    public required string TextureName { get; init; }

    [JsonPropertyName("imageURL")]
    public required string ImageUrl { get; init; }
}

/// <summary>The template's music, from the music library.</summary>
public sealed class MusicReference
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("url")]
    public required string Url { get; init; }

    /// <summary>Seconds; the client loops or cuts it to the timeline.</summary>
    [JsonPropertyName("duration")]
    public double? Duration { get; init; }
}
