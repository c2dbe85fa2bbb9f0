using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Storage;

/// <summary>
/// Every SAS the app hands out, signed by each of the two signers (the account key on a shared-key connection, a
/// user-delegation key on an identity-based one), is refused by storage itself for anything beyond exactly its blob,
/// its permissions and its lifetime. Nothing here asks the app whether a URL is valid: the emulator answers.
/// </summary>
public sealed partial class SasSignerTests(AzuriteFixture plain, SecureAzuriteFixture secure)
    : IClassFixture<AzuriteFixture>, IClassFixture<SecureAzuriteFixture>
{
    private const string Uploads = "sasuploads";
    private const string Media = "sasmedia";

    public static TheoryData<StorageMode> Modes => [StorageMode.SharedKey, StorageMode.Identity];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Signer_ConnectionKind_SignsItsOwnKindOfSas(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);

        var sas = storage.Signer.GetSasUri(Media, "a/b", BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.Equal(mode == StorageMode.SharedKey ? StorageAuthentication.SharedKey : StorageAuthentication.Identity, storage.Signer.Kind);
        // A user-delegation SAS carries the delegating identity's object id (skoid); a service SAS does not.
        Assert.Equal(mode == StorageMode.Identity, sas.Query.Contains("skoid=", StringComparison.Ordinal));
        Assert.Contains("sr=b", sas.Query, StringComparison.Ordinal);
        Assert.Contains("sp=r&", sas.Query + "&", StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task CreateOnlySas_WritesItsBlobOnce_AndNothingElse(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        using var http = Http(mode);
        var video = Guid.NewGuid().ToString("N");
        var url = storage.Signer.GetSasUri(Uploads, $"{video}/source", BlobSasPermissions.Create, DateTimeOffset.UtcNow.AddMinutes(15));

        Assert.Equal(HttpStatusCode.Created, await PutAsync(http, url, "first"));
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(http, url, "overwrite"));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(http, OtherBlob(url, $"{video}/source", $"{video}/other"), "x"));
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(http, OtherBlob(url, video, Guid.NewGuid().ToString("N")), "x"));
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(http, WithParameter(url, "sp", "cw"), "x"));
        Assert.Equal("first", await storage.Blobs.ReadTextAsync(Uploads, $"{video}/source", default));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ReadOnlySas_ReadsItsBlob_WholeAndRanged(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        using var http = Http(mode);
        var name = await SeedAsync(storage, "segment-bytes");
        var url = storage.Signer.GetSasUri(Media, name, BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.Equal("segment-bytes", await http.GetStringAsync(url));
        using var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new RangeHeaderValue(0, 6);
        using var partial = await http.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal("segment", await partial.Content.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ReadOnlySas_WriteDeleteOtherBlobOtherVideoOrContainer_Refused(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        using var http = Http(mode);
        var name = await SeedAsync(storage, "mine");
        var video = name[..name.IndexOf('/', StringComparison.Ordinal)];
        var other = await SeedAsync(storage, "someone else's");
        var otherVideo = other[..other.IndexOf('/', StringComparison.Ordinal)];
        var url = storage.Signer.GetSasUri(Media, name, BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(5));

        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(http, url, "overwritten"));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.DeleteAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(OtherBlob(url, "seg_00001.ts", "seg_00002.ts"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(OtherBlob(url, video, otherVideo))).StatusCode);

        // The container itself (listing every blob) with the blob's signature.
        var container = new Uri($"{url.GetLeftPart(UriPartial.Path)[..^(name.Length + 1)]}?restype=container&comp=list&{url.Query.TrimStart('?')}");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(container)).StatusCode);
        Assert.Equal("mine", await storage.Blobs.ReadTextAsync(Media, name, default));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ReadOnlySas_TamperedWidenedOrExtended_Refused(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        using var http = Http(mode);
        var name = await SeedAsync(storage, "bytes");
        var url = storage.Signer.GetSasUri(Media, name, BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddMinutes(5));
        var signature = Parameter(url, "sig");
        var tampered = (signature[0] == 'A' ? "B" : "A") + signature[1..];

        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(WithParameter(url, "sig", tampered))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(WithParameter(url, "sp", "rwd"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(http, WithParameter(url, "sp", "rwd"), "x"));
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(WithParameter(url, "se", Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(30).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture))))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(WithParameter(url, "sr", "c"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task ReadOnlySas_Expired_Refused(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        using var http = Http(mode);
        var name = await SeedAsync(storage, "old");
        var now = DateTimeOffset.UtcNow;

        var expired = storage.Signer.GetSasUri(Media, name, BlobSasPermissions.Read, now.AddMinutes(-1), now.AddMinutes(-10));
        var notYet = storage.Signer.GetSasUri(Media, name, BlobSasPermissions.Read, now.AddMinutes(20), now.AddMinutes(10));

        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(expired)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync(notYet)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Blob_WithoutSas_NotReadable(StorageMode mode)
    {
        await using var storage = await StartAsync(mode);
        using var http = Http(mode);
        var name = await SeedAsync(storage, "private");

        var anonymous = await http.GetAsync(storage.Blobs.GetBlobUri(Media, name));

        Assert.False(anonymous.IsSuccessStatusCode, $"anonymous read answered {(int)anonymous.StatusCode}");
    }

    private async Task<StorageHost> StartAsync(StorageMode mode)
    {
        var storage = await StorageHost.StartAsync(Azurite(mode), mode);
        var provisioner = (IStorageProvisioner)storage.Services.GetService(typeof(IStorageProvisioner))!;
        await provisioner.EnsureAsync(new StorageResource(StorageResourceKind.Container, Uploads), default);
        await provisioner.EnsureAsync(new StorageResource(StorageResourceKind.Container, Media), default);
        return storage;
    }

    private AzuriteProcess Azurite(StorageMode mode) => mode == StorageMode.SharedKey ? plain.Process : secure.Process;

    private HttpClient Http(StorageMode mode) => new(Azurite(mode).CreateHttpHandler());

    private static async Task<string> SeedAsync(StorageHost storage, string text)
    {
        var name = $"{Guid.NewGuid():N}/360p/seg_00001.ts";
        await storage.Blobs.UploadAsync(Media, name, new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), new BlobWriteOptions("video/mp2t"), default);
        return name;
    }

    private static async Task<HttpStatusCode> PutAsync(HttpClient http, Uri url, string body)
    {
        using var put = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent(body) };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        using var response = await http.SendAsync(put);
        return response.StatusCode;
    }

    private static Uri OtherBlob(Uri url, string part, string replacement) =>
        new(url.GetLeftPart(UriPartial.Path).Replace(part, replacement, StringComparison.Ordinal) + url.Query);

    private static string Parameter(Uri url, string name) => Uri.UnescapeDataString(QueryParameter(name).Match(url.Query).Groups[1].Value);

    private static Uri WithParameter(Uri url, string name, string value)
    {
        var query = QueryParameter(name).Replace(url.Query, m => m.Value[0] + name + "=" + (value.Contains('%', StringComparison.Ordinal) ? value : Uri.EscapeDataString(value)), 1);
        return new Uri(url.GetLeftPart(UriPartial.Path) + query);
    }

    private static Regex QueryParameter(string name) => new($"[?&]{Regex.Escape(name)}=([^&]*)", RegexOptions.CultureInvariant);
}
