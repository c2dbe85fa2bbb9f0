using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Storage;

namespace Serverless.Playback.Benchmarks;

/// <summary>
/// The cache-miss cost of signing one media playlist (every segment URI a read-only single-blob SAS), with each of the
/// app's two signers: the account key (service SAS) and a user-delegation key (keyless). Both run in this process on
/// the app's own storage registrations; the user-delegation key comes from an Azurite started with <c>--oauth basic</c>
/// over HTTPS, fetched once (as the app does), so each signature is local work. Rounds alternate the signers.
/// </summary>
internal static class SigningBenchmark
{
    public static async Task<int> RunAsync(string work, int segments, int rounds)
    {
        await using var azurite = await AzuriteHost.StartAsync(Path.Combine(work, "azurite"), secure: true);
        using var shared = await StartStorageAsync(azurite, keyless: false);
        using var keyless = await StartStorageAsync(azurite, keyless: true);
        var signers = new (string Name, IBlobSasSigner Signer)[]
        {
            ("account key (service SAS)", shared.Services.GetRequiredService<IBlobSasSigner>()),
            ("user-delegation key", keyless.Services.GetRequiredService<IBlobSasSigner>()),
        };
        var names = Enumerable.Range(0, segments).Select(i => $"0123456789abcdef0123456789abcdef/hls/720p/seg_{i:00000}.ts").ToArray();
        Console.WriteLine($"Signing one media playlist of {segments} segments; {rounds} rounds of 2,000 playlists per signer, alternating.");

        // Warm-up (JIT, first key use) untimed.
        foreach (var (_, signer) in signers)
        {
            Sign(signer, names, 200);
        }

        var medians = signers.ToDictionary(s => s.Name, _ => new List<double>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, signer) in round % 2 == 1 ? signers : signers.Reverse())
            {
                var perPlaylist = Sign(signer, names, 2_000);
                medians[name].Add(perPlaylist.TotalMicroseconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round} {name,-26} {perPlaylist.TotalMicroseconds,8:F1} µs per playlist"));
            }
        }

        var keyMedian = Median(medians[signers[0].Name]);
        var delegationMedian = Median(medians[signers[1].Name]);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median per {segments}-segment playlist: account key {keyMedian:F1} µs ({keyMedian / segments:F2} µs per URL), user-delegation key {delegationMedian:F1} µs ({delegationMedian / segments:F2} µs per URL); ratio {delegationMedian / keyMedian:F2}"));
        return 0;
    }

    /// <summary>The mean time to sign one playlist, over <paramref name="playlists"/> playlists.</summary>
    private static TimeSpan Sign(IBlobSasSigner signer, string[] names, int playlists)
    {
        var expiry = DateTimeOffset.UtcNow.AddMinutes(20);
        var clock = Stopwatch.StartNew();
        var length = 0;
        for (var p = 0; p < playlists; p++)
        {
            var sb = new StringBuilder(names.Length * 320);
            foreach (var name in names)
            {
                sb.Append(signer.GetSasUri("media", name, BlobSasPermissions.Read, expiry).AbsoluteUri).Append('\n');
            }

            length += sb.Length;
        }

        GC.KeepAlive(length);
        return clock.Elapsed / playlists;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static async Task<IHost> StartStorageAsync(AzuriteHost azurite, bool keyless)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(keyless
            ? new Dictionary<string, string?>
            {
                ["AzureWebJobsStorage:blobServiceUri"] = azurite.BlobServiceUri,
                ["AzureWebJobsStorage:queueServiceUri"] = azurite.QueueServiceUri,
                ["AzureWebJobsStorage:tableServiceUri"] = azurite.TableServiceUri,
            }
            : new Dictionary<string, string?> { ["AzureWebJobsStorage"] = azurite.ConnectionString });
        builder.Services.AddSingleton<HttpPipelineTransport>(new HttpClientTransport(azurite.CreateHttpHandler()));
        builder.Services.AddSingleton<TokenCredential>(new EmulatorToken());
        builder.AddStorage();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>A bearer token with the claims Azurite's basic OAuth checks (it does not verify signatures); no real account accepts it.</summary>
    private sealed class EmulatorToken : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            var now = DateTimeOffset.UtcNow;
            static string Part(object value) =>
                Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var token = Part(new { alg = "none", typ = "JWT" }) + "." + Part(new
            {
                aud = "https://storage.azure.com",
                iss = "https://sts.windows.net/00000000-0000-0000-0000-000000000001/",
                iat = now.AddMinutes(-5).ToUnixTimeSeconds(),
                nbf = now.AddMinutes(-5).ToUnixTimeSeconds(),
                exp = now.AddHours(1).ToUnixTimeSeconds(),
                oid = "00000000-0000-0000-0000-0000000000bb",
                tid = "00000000-0000-0000-0000-000000000001",
            }) + ".";
            return new AccessToken(token, now.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}

/// <summary>A self-signed certificate for 127.0.0.1, as PEM files for Azurite's <c>--cert</c>/<c>--key</c>.</summary>
internal static class TestCertificate
{
    public static X509Certificate2 Write(string certPath, string keyPath)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(certPath, created.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return X509CertificateLoader.LoadCertificate(created.RawData);
    }

    public static HttpMessageHandler Trusting(X509Certificate2? certificate) => new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                errors == SslPolicyErrors.None || (certificate is not null && presented?.GetCertHashString() == certificate.Thumbprint),
        },
    };
}
