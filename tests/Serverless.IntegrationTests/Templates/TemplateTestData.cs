using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.IntegrationTests.Templates;

/// <summary>Template JSON for the HTTP tests: the seed's image and transition nodes (seed 004) and its sticker track.</summary>
internal static class TemplateTestData
{
    public const string ImageVert = "https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/ImageEffect_Move2_V2/ImageEffect_Move2_V2.vert";
    public const string ImageFrag = "https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/ImageEffect_Move2_V2/ImageEffect_Move2_V2.frag";
    public const string TransitionVert = "https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/TransitionEffect_Mix2_V2/TransitionEffect_Mix2_V2.vert";
    public const string TransitionFrag = "https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV2/TransitionEffect_Mix2_V2/TransitionEffect_Mix2_V2.frag";
    public const string StickerVert = "https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV3/PopImage/PopImageV3.vert";
    public const string StickerFrag = "https://xianyu-chaplin-bucket.oss-cn-beijing.aliyuncs.com/ShaderV3/PopImage/PopImageV3.frag";
    public const string StickerImage = "https://gw.alicdn.com/tfs/TB1QOt3nIVl614jSZKPXXaGjpXa-120-48.png";
    public const string Music = "https://cdn.example.com/music/limelight.m4a";

    public static readonly string[] AllUrls = [ImageVert, ImageFrag, TransitionVert, TransitionFrag, StickerVert, StickerFrag, StickerImage, Music];

    private const string ImageNode = """{"name":"放大","type":"image","duration":2.0,"shader":{"vertexURL":"IMAGE_VERT","fragmentURL":"IMAGE_FRAG","uniforms":{"u_FirstScaleBegin":1.00,"u_FirstScaleRange":0.04,"u_FirstMoveBeginX":0.00,"u_FirstMoveRangeX":0.00,"u_FirstMoveBeginY":0.00,"u_FirstMoveRangeY":0.00}}}""";
    private const string TransitionNode = """{"name":"溶解","type":"transition","duration":0.5,"shader":{"vertexURL":"TRANSITION_VERT","fragmentURL":"TRANSITION_FRAG","uniforms":{"u_FirstScaleBegin":1.04,"u_FirstScaleRange":0.01,"u_SecondScaleBegin":1.00,"u_SecondScaleRange":0.01}}}""";
    private const string Tracks = """[{"type":"ShaderTrack","list":[{"type":"PopImage","position":0,"duration":3600,"data":{},"shader":{"vertexURL":"STICKER_VERT","fragmentURL":"STICKER_FRAG","vertexCoordinatesName":"a_Position","vertexCoordinatesValue":{"x":0,"y":0,"width":1,"height":1,"rect":{"top":"8dp","right":"8dp","width":"60dp","height":"24dp"}},"images":[{"textureCoordinatesName":"a_FirstTexCoord","textureCoordinatesValue":{"x":0,"y":0,"width":1,"height":1},"textureName":"u_FirstTexture","imageURL":"STICKER_IMAGE"}],"uniforms":{"u_MoveX":0,"u_MoveY":0,"u_VertexScaleBegin":1,"u_VertexScaleRange":0}}}]}]""";

    public static string UniqueId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Three images with transitions between them, or (loop) image-transition repeated with a once intro;
    /// <paramref name="imageCounts"/> false leaves out minImageCount and maxImageCount.</summary>
    public static string Template(string id, bool loop = false, string category = "digital", string? family = null, string tags = "\"digital\"", bool imageCounts = true)
    {
        var nodes = loop
            ? new[] { ImageNode.Replace("\"type\":\"image\"", "\"type\":\"image\",\"once\":true", StringComparison.Ordinal), TransitionNode, ImageNode, TransitionNode }
            : [ImageNode, TransitionNode, ImageNode, TransitionNode, ImageNode];
        var json = $$"""{"id":"{{id}}","name":"卓别林 {{id}}","category":"{{category}}",{{(family is null ? string.Empty : $"\"family\":\"{family}\",")}}"tags":[{{tags}}],"aspectRatio":"9:16",{{(imageCounts ? $"\"minImageCount\":1,\"maxImageCount\":{(loop ? 200 : 3)}," : string.Empty)}}{{(loop ? "\"loop\":true," : string.Empty)}}"music":{"id":"m1","name":"Limelight","url":"MUSIC","duration":30},"nodes":[{{string.Join(",", nodes)}}],"tracks":{{Tracks}}}""";
        return json.Replace("IMAGE_VERT", ImageVert, StringComparison.Ordinal).Replace("IMAGE_FRAG", ImageFrag, StringComparison.Ordinal)
            .Replace("TRANSITION_VERT", TransitionVert, StringComparison.Ordinal).Replace("TRANSITION_FRAG", TransitionFrag, StringComparison.Ordinal)
            .Replace("STICKER_VERT", StickerVert, StringComparison.Ordinal).Replace("STICKER_FRAG", StickerFrag, StringComparison.Ordinal)
            .Replace("STICKER_IMAGE", StickerImage, StringComparison.Ordinal).Replace("MUSIC", Music, StringComparison.Ordinal);
    }

    public static string Hash(string url) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("content of " + url)));

    public static async Task RegisterAssetsAsync(HttpClient admin)
    {
        var assets = AllUrls.Select(u => new
        {
            url = u,
            sha256 = Hash(u),
            length = 100,
            kind = u.EndsWith(".png", StringComparison.Ordinal) ? "image" : u.EndsWith(".m4a", StringComparison.Ordinal) ? "music" : "shader",
        });
        var response = await admin.PutAsJsonAsync("/api/operator/template-assets", new { assets });
        response.EnsureSuccessStatusCode();
    }

    public static async Task<HttpResponseMessage> PutAsync(HttpClient admin, string id, string json, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/operator/templates/{id}") { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await admin.SendAsync(request);
    }

    public static async Task<long> PutAndPublishAsync(HttpClient admin, string id, string json)
    {
        (await PutAsync(admin, id, json)).EnsureSuccessStatusCode();
        var published = await admin.PostAsync($"/api/operator/templates/{id}/publish", null);
        published.EnsureSuccessStatusCode();
        return (await published.Content.ReadFromJsonAsync<JsonObject>())!["libraryVersion"]!.GetValue<long>();
    }

    public static async Task<JsonObject> ManifestAsync(HttpClient client, long? since = null)
    {
        var response = await client.GetAsync("/api/templates/manifest" + (since is null ? string.Empty : $"?since={since}"));
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    public static IReadOnlyList<string> UpsertIds(JsonObject manifest) =>
        manifest["upserts"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();

    public static IReadOnlyList<string> RemovedIds(JsonObject manifest) =>
        manifest["removed"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();

    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    public static IReadOnlyList<string> ErrorPaths(JsonObject problem) =>
        problem["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
