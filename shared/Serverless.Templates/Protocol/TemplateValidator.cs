using System.Globalization;
using System.Text.RegularExpressions;

namespace Serverless.Templates.Protocol;

/// <summary>
/// Checks a template against the protocol: ranges (coordinates in [0,1], finite non-negative durations, finite
/// uniforms), absolute HTTPS resource URLs, the play protocol (start and end with an image, a transition between
/// any two images) and the loop-template rules (head is an image; tail may be an image or a transition; the part
/// that repeats holds an image and a transition). Pure; errors carry JSON paths.
/// </summary>
public static partial class TemplateValidator
{
    public static IReadOnlyList<TemplateError> Validate(MotionTemplate template)
    {
        var errors = new ErrorList();
        ValidateMetadata(template, errors);
        ValidateNodes(template, errors);
        ValidateTracks(template, errors);
        return errors.Items;
    }

    /// <summary>Every resource URL the template references, with the path where it appears.</summary>
    public static IEnumerable<(string Path, string Url, ResourceKind Kind)> Resources(MotionTemplate template)
    {
        if (template.Music is { } music)
        {
            yield return ("music.url", music.Url, ResourceKind.Music);
        }

        for (var i = 0; i < template.Nodes.Count; i++)
        {
            var shader = template.Nodes[i].Shader;
            yield return ($"nodes[{i}].shader.vertexURL", shader.VertexUrl, ResourceKind.Shader);
            yield return ($"nodes[{i}].shader.fragmentURL", shader.FragmentUrl, ResourceKind.Shader);
        }

        for (var t = 0; t < template.Tracks.Count; t++)
        {
            var list = template.Tracks[t].List;
            for (var i = 0; i < list.Count; i++)
            {
                var path = $"tracks[{t}].list[{i}].shader";
                var shader = list[i].Shader;
                yield return ($"{path}.vertexURL", shader.VertexUrl, ResourceKind.Shader);
                yield return ($"{path}.fragmentURL", shader.FragmentUrl, ResourceKind.Shader);
                for (var m = 0; m < shader.Images.Count; m++)
                {
                    yield return ($"{path}.images[{m}].imageURL", shader.Images[m].ImageUrl, ResourceKind.Image);
                }
            }
        }
    }

    private static void ValidateMetadata(MotionTemplate template, ErrorList errors)
    {
        if (!IdPattern().IsMatch(template.Id))
        {
            errors.Add("id", "must be 1-64 lowercase letters, digits or '-', starting with a letter or digit");
        }

        Text(template.Name, "name", TemplateLimits.MaxNameLength, required: true, errors);
        Text(template.Category, "category", TemplateLimits.MaxTagLength, required: false, errors);
        Text(template.Family, "family", 64, required: false, errors);
        if (template.Version < 0)
        {
            errors.Add("version", "must be 0 or more");
        }

        if (template.Tags.Count > TemplateLimits.MaxTags)
        {
            errors.Add("tags", $"at most {TemplateLimits.MaxTags} tags (got {template.Tags.Count})");
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < template.Tags.Count; i++)
            {
                Text(template.Tags[i], $"tags[{i}]", TemplateLimits.MaxTagLength, required: true, errors);
                if (!seen.Add(template.Tags[i] ?? string.Empty))
                {
                    errors.Add($"tags[{i}]", "duplicate tag");
                }
            }
        }

        if (!AspectRatioPattern().IsMatch(template.AspectRatio) || template.AspectRatio.StartsWith('0') || template.AspectRatio.Contains(":0", StringComparison.Ordinal))
        {
            errors.Add("aspectRatio", "must read width:height with positive integers, e.g. \"9:16\"");
        }

        if (template.Music is { } music)
        {
            Url(music.Url, "music.url", errors);
            Text(music.Name, "music.name", TemplateLimits.MaxNameLength, required: false, errors);
            Text(music.Id, "music.id", 64, required: false, errors);
            if (music.Duration is { } d)
            {
                Duration(d, "music.duration", errors);
            }
        }

        if (template.ExposureCap is { } cap && !(cap > 0 && cap <= 1))
        {
            errors.Add("exposureCap", "must be in (0, 1]");
        }

        ImageCounts(template, errors);
    }

    /// <summary>Explicit image counts must fit the template: at least 1, at most the protocol's limit, at most the image
    /// nodes of a template that does not loop, and min ≤ max (absent counts take their defaults, which always fit).</summary>
    private static void ImageCounts(MotionTemplate template, ErrorList errors)
    {
        var images = template.ImageNodeCount;
        var nodeBound = !template.Loop && template.Nodes.Count > 0;
        var minValid = true;
        if (template.MinImageCount is { } min)
        {
            minValid = false;
            if (min < 1)
            {
                errors.Add("minImageCount", "must be at least 1");
            }
            else if (min > TemplateLimits.MaxImageCount)
            {
                errors.Add("minImageCount", $"must be at most {TemplateLimits.MaxImageCount}");
            }
            else if (nodeBound && min > images)
            {
                errors.Add("minImageCount", $"a template that does not loop shows at most its {images} image node(s)");
            }
            else
            {
                minValid = true;
            }
        }

        if (template.MaxImageCount is { } max)
        {
            if (max > TemplateLimits.MaxImageCount)
            {
                errors.Add("maxImageCount", $"must be at most {TemplateLimits.MaxImageCount}");
            }
            else if (nodeBound && max > images)
            {
                errors.Add("maxImageCount", $"a template that does not loop shows at most its {images} image node(s)");
            }
            else if (max < 1)
            {
                errors.Add("maxImageCount", "must be at least 1");
            }
            else if (minValid && max < template.EffectiveMinImageCount)
            {
                errors.Add("maxImageCount", $"must be at least minImageCount ({template.EffectiveMinImageCount})");
            }
        }
    }

    private static void ValidateNodes(MotionTemplate template, ErrorList errors)
    {
        var nodes = template.Nodes;
        if (nodes.Count == 0)
        {
            errors.Add("nodes", "a template needs at least one image node");
            return;
        }

        if (nodes.Count > TemplateLimits.MaxNodes)
        {
            errors.Add("nodes", $"at most {TemplateLimits.MaxNodes} nodes (got {nodes.Count})");
            return;
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var path = $"nodes[{i}]";
            if (!Enum.IsDefined(node.Type))
            {
                errors.Add($"{path}.type", "must be \"image\" or \"transition\"");
                continue;
            }

            Text(node.Name, $"{path}.name", TemplateLimits.MaxNameLength, required: true, errors);
            Duration(node.Duration, $"{path}.duration", errors);
            Url(node.Shader.VertexUrl, $"{path}.shader.vertexURL", errors);
            Url(node.Shader.FragmentUrl, $"{path}.shader.fragmentURL", errors);
            Uniforms(node.Shader.Uniforms, $"{path}.shader.uniforms", errors);
        }

        // The play protocol: start with an image, alternate, and (unless the template loops) end with an image.
        if (nodes[0].Type != NodeType.Image)
        {
            errors.Add("nodes[0].type", "a template must start with an image node");
        }

        for (var i = 1; i < nodes.Count; i++)
        {
            if (nodes[i].Type == nodes[i - 1].Type)
            {
                errors.Add($"nodes[{i}].type", nodes[i].Type == NodeType.Image
                    ? "two image nodes need a transition node between them"
                    : "two transition nodes in a row: a transition joins two images");
            }
        }

        if (!template.Loop && nodes[^1].Type != NodeType.Image)
        {
            errors.Add($"nodes[{nodes.Count - 1}].type", "a template that does not loop must end with an image node");
        }

        if (template.Loop)
        {
            var repeating = nodes.Where(n => !n.Once).ToList();
            if (!repeating.Any(n => n.Type == NodeType.Image) || !repeating.Any(n => n.Type == NodeType.Transition))
            {
                errors.Add("nodes", "a loop template needs at least one image node and one transition node without \"once\", or it cannot repeat");
            }
        }
        else
        {
            for (var i = 0; i < nodes.Count; i++)
            {
                if (nodes[i].Once)
                {
                    errors.Add($"nodes[{i}].once", "\"once\" only applies to loop templates");
                }
            }
        }
    }

    private static void ValidateTracks(MotionTemplate template, ErrorList errors)
    {
        if (template.Tracks.Count > TemplateLimits.MaxTracks)
        {
            errors.Add("tracks", $"at most {TemplateLimits.MaxTracks} tracks (got {template.Tracks.Count})");
            return;
        }

        for (var t = 0; t < template.Tracks.Count; t++)
        {
            var track = template.Tracks[t];
            if (!Enum.IsDefined(track.Type))
            {
                errors.Add($"tracks[{t}].type", "must be \"ShaderTrack\"");
            }

            if (track.List.Count > TemplateLimits.MaxTrackItems)
            {
                errors.Add($"tracks[{t}].list", $"at most {TemplateLimits.MaxTrackItems} items (got {track.List.Count})");
                continue;
            }

            for (var i = 0; i < track.List.Count; i++)
            {
                var item = track.List[i];
                var path = $"tracks[{t}].list[{i}]";
                Text(item.Type, $"{path}.type", 64, required: true, errors);
                Duration(item.Position, $"{path}.position", errors);
                Duration(item.Duration, $"{path}.duration", errors);
                var shader = item.Shader;
                Url(shader.VertexUrl, $"{path}.shader.vertexURL", errors);
                Url(shader.FragmentUrl, $"{path}.shader.fragmentURL", errors);
                if (shader.VertexCoordinatesValue is { } vertex)
                {
                    Region(vertex, $"{path}.shader.vertexCoordinatesValue", errors);
                    Text(shader.VertexCoordinatesName, $"{path}.shader.vertexCoordinatesName", 64, required: true, errors);
                }

                if (shader.Images.Count > TemplateLimits.MaxImagesPerItem)
                {
                    errors.Add($"{path}.shader.images", $"at most {TemplateLimits.MaxImagesPerItem} images (got {shader.Images.Count})");
                }
                else
                {
                    for (var m = 0; m < shader.Images.Count; m++)
                    {
                        var image = shader.Images[m];
                        var imagePath = $"{path}.shader.images[{m}]";
                        Text(image.TextureCoordinatesName, $"{imagePath}.textureCoordinatesName", 64, required: true, errors);
                        Text(image.TextureName, $"{imagePath}.textureName", 64, required: true, errors);
                        Region(image.TextureCoordinatesValue, $"{imagePath}.textureCoordinatesValue", errors);
                        Url(image.ImageUrl, $"{imagePath}.imageURL", errors);
                    }
                }

                Uniforms(shader.Uniforms, $"{path}.shader.uniforms", errors);
            }
        }
    }

    private static void Region(Region region, string path, ErrorList errors)
    {
        Unit(region.X, $"{path}.x", errors);
        Unit(region.Y, $"{path}.y", errors);
        Unit(region.Width, $"{path}.width", errors);
        Unit(region.Height, $"{path}.height", errors);
        if (region.Rect is { } rect)
        {
            foreach (var (name, value) in new[]
            {
                ("top", rect.Top), ("right", rect.Right), ("bottom", rect.Bottom),
                ("left", rect.Left), ("width", rect.Width), ("height", rect.Height),
            })
            {
                if (value is { } dp && !(dp.Value >= 0 && dp.Value <= 10_000))
                {
                    errors.Add($"{path}.rect.{name}", "must be between 0dp and 10000dp");
                }
            }
        }
    }

    private static void Unit(double value, string path, ErrorList errors)
    {
        if (!double.IsFinite(value))
        {
            errors.Add(path, Describe(value));
        }
        else if (value is < 0 or > 1)
        {
            errors.Add(path, string.Create(CultureInfo.InvariantCulture, $"{value} is outside [0, 1] (protocol coordinates)"));
        }
    }

    private static void Duration(double value, string path, ErrorList errors)
    {
        if (!double.IsFinite(value))
        {
            errors.Add(path, Describe(value));
        }
        else if (value < 0)
        {
            errors.Add(path, "must be 0 or more seconds");
        }
        else if (value > TemplateLimits.MaxDurationSeconds)
        {
            errors.Add(path, string.Create(CultureInfo.InvariantCulture, $"must be at most {TemplateLimits.MaxDurationSeconds} seconds"));
        }
    }

    private static void Uniforms(IReadOnlyDictionary<string, UniformValue> uniforms, string path, ErrorList errors)
    {
        if (uniforms.Count > TemplateLimits.MaxUniforms)
        {
            errors.Add(path, $"at most {TemplateLimits.MaxUniforms} uniforms (got {uniforms.Count})");
            return;
        }

        foreach (var (name, value) in uniforms)
        {
            if (!GlslIdentifier().IsMatch(name))
            {
                errors.Add($"{path}.{name}", "is not a GLSL identifier");
                continue;
            }

            foreach (var component in value.Components)
            {
                if (!double.IsFinite(component))
                {
                    errors.Add($"{path}.{name}", Describe(component));
                    break;
                }
            }
        }
    }

    private static void Url(string? value, string path, ErrorList errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            errors.Add(path, "is required");
        }
        else if (value.Length > TemplateLimits.MaxUrlLength)
        {
            errors.Add(path, $"longer than {TemplateLimits.MaxUrlLength} characters");
        }
        else if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.UserInfo))
        {
            errors.Add(path, "must be an absolute https:// URL");
        }
    }

    private static void Text(string? value, string path, int maxLength, bool required, ErrorList errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required || value is not null)
            {
                errors.Add(path, "must not be empty");
            }
        }
        else if (value.Length > maxLength)
        {
            errors.Add(path, $"at most {maxLength} characters");
        }
        else if (value.Any(char.IsControl))
        {
            errors.Add(path, "must not contain control characters");
        }
    }

    private static string Describe(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9]{1,2}:[0-9]{1,2}$")]
    private static partial Regex AspectRatioPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex GlslIdentifier();

    private sealed class ErrorList
    {
        public List<TemplateError> Items { get; } = [];

        public void Add(string path, string message) => Items.Add(new TemplateError(path, message));
    }
}

public enum ResourceKind
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("shader")]
    Shader,

    [System.Text.Json.Serialization.JsonStringEnumMemberName("image")]
    Image,

    [System.Text.Json.Serialization.JsonStringEnumMemberName("music")]
    Music,
}
