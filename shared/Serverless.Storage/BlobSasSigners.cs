using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SdkPermissions = Azure.Storage.Sas.BlobSasPermissions;

namespace Serverless.Storage;

/// <summary>
/// Signs SAS URLs for exactly one blob. One interface, two implementations chosen by the connection's kind: a service
/// SAS signed with the account key (a connection string, Azurite), or a user-delegation SAS signed with a key the
/// app's identity obtained (keyless, in Azure). Storage itself enforces both.
/// </summary>
public interface IBlobSasSigner
{
    StorageAuthentication Kind { get; }

    /// <summary>A SAS URL for exactly one blob with exactly <paramref name="permissions"/>, valid until <paramref name="expiresOn"/>.</summary>
    Uri GetSasUri(string container, string name, BlobSasPermissions permissions, DateTimeOffset expiresOn, DateTimeOffset? startsOn = null);
}

/// <summary>What both signers share: the SAS fields, the permissions and the URL.</summary>
internal abstract class BlobSasSigner(AzureStorageClients clients) : IBlobSasSigner
{
    public abstract StorageAuthentication Kind { get; }

    public Uri GetSasUri(string container, string name, BlobSasPermissions permissions, DateTimeOffset expiresOn, DateTimeOffset? startsOn = null)
    {
        if (permissions == BlobSasPermissions.None)
        {
            throw new ArgumentException("A SAS needs at least one permission.", nameof(permissions));
        }

        var builder = new BlobSasBuilder
        {
            BlobContainerName = container,
            BlobName = name,
            Resource = "b",
            ExpiresOn = expiresOn,
            StartsOn = startsOn ?? default,
            // Plain HTTP only where the endpoint itself is plain HTTP (Azurite); HTTPS everywhere else.
            Protocol = clients.Connection.BlobEndpoint.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        builder.SetPermissions(ToSdk(permissions));
        var blob = clients.Blobs.GetBlobContainerClient(container).GetBlobClient(name).Uri;
        return new Uri(blob.AbsoluteUri + "?" + Sign(builder, expiresOn));
    }

    protected abstract string Sign(BlobSasBuilder builder, DateTimeOffset expiresOn);

    private static SdkPermissions ToSdk(BlobSasPermissions permissions)
    {
        SdkPermissions result = 0;
        if (permissions.HasFlag(BlobSasPermissions.Read))
        {
            result |= SdkPermissions.Read;
        }

        if (permissions.HasFlag(BlobSasPermissions.Write))
        {
            result |= SdkPermissions.Write;
        }

        if (permissions.HasFlag(BlobSasPermissions.Create))
        {
            result |= SdkPermissions.Create;
        }

        if (permissions.HasFlag(BlobSasPermissions.Delete))
        {
            result |= SdkPermissions.Delete;
        }

        return result;
    }
}

/// <summary>A service SAS signed with the account key (shared-key connections only).</summary>
internal sealed class SharedKeyBlobSasSigner(AzureStorageClients clients) : BlobSasSigner(clients)
{
    private readonly AzureStorageClients _clients = clients;

    public override StorageAuthentication Kind => StorageAuthentication.SharedKey;

    protected override string Sign(BlobSasBuilder builder, DateTimeOffset expiresOn) =>
        builder.ToSasQueryParameters(_clients.SharedKey!).ToString();
}

/// <summary>A user-delegation SAS, signed with the cached key of <see cref="UserDelegationKeys"/> (never fetched per URL).</summary>
internal sealed class UserDelegationBlobSasSigner(AzureStorageClients clients, UserDelegationKeys keys) : BlobSasSigner(clients)
{
    private readonly AzureStorageClients _clients = clients;

    public override StorageAuthentication Kind => StorageAuthentication.Identity;

    protected override string Sign(BlobSasBuilder builder, DateTimeOffset expiresOn) =>
        builder.ToSasQueryParameters(keys.For(expiresOn), _clients.Connection.AccountName).ToString();
}

/// <summary>
/// The user-delegation key of an identity-based connection: fetched at start-up (a missing role stops the app with a
/// message naming it), renewed in the background when half of its lifetime is left, and read from memory by every
/// signature. A SAS can never outlive the key that signed it, so a request for a later expiry than the cached key
/// covers fetches a new key at once (counted in <see cref="ForegroundFetches"/>; the renewal schedule prevents it).
/// </summary>
internal sealed partial class UserDelegationKeys(
    AzureStorageClients clients,
    IOptions<StorageOptions> options,
    TimeProvider time,
    ILogger<UserDelegationKeys> logger) : BackgroundService
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    private readonly TimeSpan _lifetime = TimeSpan.FromHours(options.Value.UserDelegationKeyHours);
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private volatile UserDelegationKey? _key;
    private int _fetches;
    private int _foregroundFetches;

    /// <summary>Keys fetched so far (start-up, renewals and foreground fetches).</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    /// <summary>Fetches made on a signature's path because no cached key covered its expiry.</summary>
    public int ForegroundFetches => Volatile.Read(ref _foregroundFetches);

    /// <summary>When the cached key should be replaced: half of its lifetime before it expires.</summary>
    public DateTimeOffset? RenewAt => _key is { } key ? key.SignedExpiresOn - (_lifetime / 2) : null;

    /// <summary>A key valid past <paramref name="expiresOn"/>.</summary>
    public UserDelegationKey For(DateTimeOffset expiresOn)
    {
        if (_key is { } key && key.SignedExpiresOn >= expiresOn)
        {
            return key;
        }

        // Cold path: before start-up fetched the first key, or an expiry beyond the cached key's.
        Interlocked.Increment(ref _foregroundFetches);
        var fresh = RefreshAsync(CancellationToken.None).GetAwaiter().GetResult();
        return fresh.SignedExpiresOn >= expiresOn
            ? fresh
            : throw new InvalidOperationException(
                $"A SAS until {expiresOn:O} outlives the user-delegation key ({fresh.SignedExpiresOn:O}); raise 'Storage__UserDelegationKeyHours'.");
    }

    /// <summary>Fetches a new key now and caches it.</summary>
    public async Task<UserDelegationKey> RefreshAsync(CancellationToken cancellationToken)
    {
        await _fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var key = await clients.Run(
                StorageService.Blob,
                "get a user-delegation key",
                async ct => (await clients.Blobs.GetUserDelegationKeyAsync(
                    new BlobGetUserDelegationKeyOptions(now + _lifetime) { StartsOn = now - ClockSkew }, ct).ConfigureAwait(false)).Value,
                cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _fetches);
            _key = key;
            LogFetched(key.SignedExpiresOn);
            return key;
        }
        catch (StorageException ex) when (ex.StatusCode == 403)
        {
            throw new StorageException(
                $"The app's identity may not request user-delegation keys on {clients.Connection.Source}: grant it 'Storage Blob Delegator' " +
                "(included in 'Storage Blob Data Contributor'). Every SAS the app hands out is signed with such a key.",
                403,
                ex);
        }
        finally
        {
            _fetch.Release();
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The first key before the app serves anything: a missing role or a wrong account stops start-up here.
        if (_key is null)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = (RenewAt ?? time.GetUtcNow()) - time.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
                }

                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (StorageException ex)
            {
                // The cached key stays valid for half its lifetime: keep trying.
                LogRenewalFailed(ex, ex.Message);
                await Task.Delay(RetryAfterFailure, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    public override void Dispose()
    {
        _fetch.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 150, Level = LogLevel.Information, Message = "User-delegation key fetched, valid until {ExpiresOn:O}")]
    private partial void LogFetched(DateTimeOffset expiresOn);

    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "Renewing the user-delegation key failed ({Reason}); the current key is kept and renewal retried in a minute")]
    private partial void LogRenewalFailed(Exception exception, string reason);
}
