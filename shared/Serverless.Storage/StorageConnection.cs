using Azure.Core;
using Azure.Identity;

namespace Serverless.Storage;

/// <summary>How the app authenticates to storage: the account key (a connection string) or a token credential (identity-based).</summary>
public enum StorageAuthentication
{
    /// <summary>A connection string with the account key (Azurite locally). Every SAS is a service SAS signed with the key.</summary>
    SharedKey,

    /// <summary>A token credential (managed identity in Azure). Every SAS is a user-delegation SAS.</summary>
    Identity,
}

/// <summary>
/// The resolved storage connection: the three service endpoints and either the shared key or a token credential,
/// read from <see cref="StorageOptions"/> the way the Functions host reads <c>AzureWebJobsStorage</c>.
/// </summary>
public sealed class StorageConnection
{
    public const string DevelopmentAccountName = "devstoreaccount1";
    private const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private StorageConnection(StorageAuthentication authentication, string accountName, Uri blob, Uri queue, Uri table, string? accountKey, string source)
    {
        Authentication = authentication;
        AccountName = accountName;
        BlobEndpoint = blob;
        QueueEndpoint = queue;
        TableEndpoint = table;
        AccountKey = accountKey;
        Source = source;
    }

    public StorageAuthentication Authentication { get; }

    public string AccountName { get; }

    public Uri BlobEndpoint { get; }

    public Uri QueueEndpoint { get; }

    public Uri TableEndpoint { get; }

    /// <summary>The account key (base64), for <see cref="StorageAuthentication.SharedKey"/> only.</summary>
    internal string? AccountKey { get; }

    /// <summary>Which settings this connection came from, for error messages.</summary>
    public string Source { get; }

    /// <summary>Azurite or another emulator on this machine: the app may set its own CORS rules there.</summary>
    public bool IsLocalEmulator => BlobEndpoint.IsLoopback;

    /// <summary>Resolves the connection, or throws <see cref="InvalidOperationException"/> with a message naming the setting that is missing or wrong.</summary>
    public static StorageConnection Resolve(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return FromConnectionString(options.ConnectionString);
        }

        var name = options.AccountName?.Trim();
        if (string.IsNullOrEmpty(name) && options.BlobServiceUri is null)
        {
            throw new InvalidOperationException(
                "Storage is not configured: set 'AzureWebJobsStorage' (a connection string; 'UseDevelopmentStorage=true' for Azurite) " +
                "or, for an identity-based connection, 'AzureWebJobsStorage__accountName'.");
        }

        Uri Endpoint(Uri? explicitUri, string service, string setting)
        {
            if (explicitUri is not null)
            {
                return explicitUri.IsAbsoluteUri
                    ? explicitUri
                    : throw new InvalidOperationException($"The setting 'AzureWebJobsStorage__{setting}' must be an absolute URI.");
            }

            if (string.IsNullOrEmpty(name))
            {
                throw new InvalidOperationException($"Set 'AzureWebJobsStorage__accountName' or 'AzureWebJobsStorage__{setting}'.");
            }

            return new Uri($"https://{name}.{service}.core.windows.net/");
        }

        var blob = Endpoint(options.BlobServiceUri, "blob", "blobServiceUri");
        var queue = Endpoint(options.QueueServiceUri, "queue", "queueServiceUri");
        var table = Endpoint(options.TableServiceUri, "table", "tableServiceUri");
        var account = string.IsNullOrEmpty(name) ? AccountFromEndpoint(blob) : name;
        if (!IsAccountName(account))
        {
            throw new InvalidOperationException(
                $"The setting 'AzureWebJobsStorage__accountName' is not a storage account name ('{account}': 3 to 24 lowercase letters and digits).");
        }

        var credential = options.Credential?.Trim();
        if (!string.IsNullOrEmpty(credential) && !credential.Equals("managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"The setting 'AzureWebJobsStorage__credential' is '{credential}': use 'managedidentity', or leave it empty for the developer's own credential.");
        }

        var source = $"account '{account}' with {(string.IsNullOrEmpty(credential) ? "the default Azure credential" : "the managed identity")}" +
            $"{(string.IsNullOrEmpty(options.ClientId) ? string.Empty : $" (client id {options.ClientId})")} ('AzureWebJobsStorage__accountName')";
        return new StorageConnection(StorageAuthentication.Identity, account, blob, queue, table, null, source);
    }

    /// <summary>
    /// A shared-key connection as a connection string with explicit endpoints (for libraries that build their own clients,
    /// like the Durable Task storage provider); null on an identity-based connection.
    /// </summary>
    public string? ToSharedKeyConnectionString() => Authentication == StorageAuthentication.SharedKey
        ? $"DefaultEndpointsProtocol={BlobEndpoint.Scheme};AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint.AbsoluteUri.TrimEnd('/')};QueueEndpoint={QueueEndpoint.AbsoluteUri.TrimEnd('/')};TableEndpoint={TableEndpoint.AbsoluteUri.TrimEnd('/')};"
        : null;

    /// <summary>The token credential of an identity-based connection, as the Functions host picks it from the same settings.</summary>
    public static TokenCredential CreateCredential(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clientId = string.IsNullOrWhiteSpace(options.ClientId) ? null : options.ClientId.Trim();
        if (string.Equals(options.Credential?.Trim(), "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            return new ManagedIdentityCredential(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId));
        }

        return new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
    }

    private static StorageConnection FromConnectionString(string connectionString)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var piece in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = piece.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Invalid("a part is not 'Name=value'");
            }

            parts[piece[..eq].Trim()] = piece[(eq + 1)..].Trim();
        }

        const string source = "the connection string in 'AzureWebJobsStorage'";
        if (parts.TryGetValue("UseDevelopmentStorage", out var dev) && bool.TryParse(dev, out var isDev) && isDev)
        {
            return new StorageConnection(
                StorageAuthentication.SharedKey,
                DevelopmentAccountName,
                new Uri($"http://127.0.0.1:10000/{DevelopmentAccountName}"),
                new Uri($"http://127.0.0.1:10001/{DevelopmentAccountName}"),
                new Uri($"http://127.0.0.1:10002/{DevelopmentAccountName}"),
                DevelopmentAccountKey,
                source);
        }

        if (parts.ContainsKey("SharedAccessSignature"))
        {
            throw Invalid("SAS connection strings are not supported (the app signs SAS itself); use the account key, or an identity-based connection");
        }

        if (!parts.TryGetValue("AccountName", out var account) || !parts.TryGetValue("AccountKey", out var key) || account.Length == 0 || key.Length == 0)
        {
            throw Invalid("it needs AccountName and AccountKey");
        }

        try
        {
            _ = Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            throw Invalid("AccountKey is not base64");
        }

        var protocol = parts.GetValueOrDefault("DefaultEndpointsProtocol", "https");
        var suffix = parts.GetValueOrDefault("EndpointSuffix", "core.windows.net");
        Uri Endpoint(string service) =>
            parts.TryGetValue(service + "Endpoint", out var explicitEndpoint)
                ? Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out var uri) ? uri : throw Invalid($"{service}Endpoint is not an absolute URI")
                : new Uri($"{protocol}://{account}.{service.ToLowerInvariant()}.{suffix}/");

        return new StorageConnection(StorageAuthentication.SharedKey, account, Endpoint("Blob"), Endpoint("Queue"), Endpoint("Table"), key, source);

        static InvalidOperationException Invalid(string why) =>
            new($"The setting 'AzureWebJobsStorage' is not a valid storage connection string: {why}.");
    }

    /// <summary><c>https://name.blob.core.windows.net</c> or, for emulators, <c>http://127.0.0.1:10000/name</c>.</summary>
    private static string AccountFromEndpoint(Uri endpoint)
    {
        var host = endpoint.Host;
        if (endpoint.IsLoopback || System.Net.IPAddress.TryParse(host, out _))
        {
            return endpoint.AbsolutePath.Trim('/').Split('/')[0];
        }

        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? host[..dot] : host;
    }

    private static bool IsAccountName(string name) =>
        name.Length is >= 3 and <= 24 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));
}
