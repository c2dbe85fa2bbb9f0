using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Serverless.Storage;

/// <summary>The storage service a call goes to (for the role an identity needs).</summary>
internal enum StorageService
{
    Blob,
    Queue,
    Table,
}

/// <summary>
/// The Azure SDK v12 clients, configured once: endpoints and authentication from <see cref="StorageConnection"/>, the
/// one retry layer (<see cref="ScopedRetryPolicy"/>), the per-attempt network timeout and the per-operation budget.
/// A <see cref="TokenCredential"/> or <see cref="HttpPipelineTransport"/> registered in the container replaces the
/// defaults (tests use them to reach an HTTPS Azurite with a test certificate and a test token).
/// </summary>
internal sealed class AzureStorageClients
{
    private readonly TimeSpan _operationTimeout;

    public AzureStorageClients(IOptions<StorageOptions> options, IServiceProvider services)
    {
        var o = options.Value;
        Connection = StorageConnection.Resolve(o);
        _operationTimeout = TimeSpan.FromSeconds(o.OperationTimeoutSeconds);
        var transport = services.GetService<HttpPipelineTransport>();

        T Configure<T>(T clientOptions)
            where T : ClientOptions
        {
            clientOptions.RetryPolicy = new ScopedRetryPolicy(o.MaxRetries, o.InteractiveMaxRetries, TimeSpan.FromMilliseconds(200));
            clientOptions.Retry.NetworkTimeout = TimeSpan.FromSeconds(o.RequestTimeoutSeconds);
            clientOptions.Diagnostics.IsLoggingEnabled = false;
            clientOptions.Diagnostics.IsDistributedTracingEnabled = false;
            if (transport is not null)
            {
                clientOptions.Transport = transport;
            }

            return clientOptions;
        }

        // The clients keep the SDK's own service version (the one Azure serves, 2026-10-06); Azurite 3.37 knows up to
        // 2026-06-06, so every Azurite this project starts runs with --skipApiVersionCheck (shared/Serverless.Storage/README.md).
        var blobOptions = Configure(new BlobClientOptions());
        var queueOptions = Configure(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var tableOptions = Configure(new TableClientOptions());
        if (Connection.Authentication == StorageAuthentication.SharedKey)
        {
            SharedKey = new StorageSharedKeyCredential(Connection.AccountName, Connection.AccountKey!);
            Blobs = new BlobServiceClient(Connection.BlobEndpoint, SharedKey, blobOptions);
            Queues = new QueueServiceClient(Connection.QueueEndpoint, SharedKey, queueOptions);
            Tables = new TableServiceClient(Connection.TableEndpoint, new TableSharedKeyCredential(Connection.AccountName, Connection.AccountKey!), tableOptions);
        }
        else
        {
            var credential = services.GetService<TokenCredential>() ?? StorageConnection.CreateCredential(o);
            Blobs = new BlobServiceClient(Connection.BlobEndpoint, credential, blobOptions);
            Queues = new QueueServiceClient(Connection.QueueEndpoint, credential, queueOptions);
            Tables = new TableServiceClient(Connection.TableEndpoint, credential, tableOptions);
        }
    }

    public StorageConnection Connection { get; }

    /// <summary>The account key, for a shared-key connection only.</summary>
    public StorageSharedKeyCredential? SharedKey { get; }

    public BlobServiceClient Blobs { get; }

    public QueueServiceClient Queues { get; }

    public TableServiceClient Tables { get; }

    /// <summary>Runs one storage operation within the operation budget and maps the SDK's failures to the domain's exceptions.</summary>
    public async Task<T> Run<T>(StorageService service, string what, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_operationTimeout);
        try
        {
            return await action(budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageUnavailableException($"{what}: storage did not answer within {_operationTimeout.TotalSeconds:0} s ({Connection.Source}).", ex);
        }
        catch (Exception ex) when (StorageErrors.Map(ex, service, what, Connection) is { } mapped)
        {
            throw mapped;
        }
    }

    public Task Run(StorageService service, string what, Func<CancellationToken, Task> action, CancellationToken cancellationToken) =>
        Run<bool>(
            service,
            what,
            async ct =>
            {
                await action(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
}

/// <summary>Maps the SDK's exceptions to the domain's, with messages that name the setting or role to fix.</summary>
internal static class StorageErrors
{
    public static StorageException? Map(Exception ex, StorageService service, string what, StorageConnection connection)
    {
        switch (ex)
        {
            case StorageException:
                return null;
            case RequestFailedException failed:
                return FromStatus(failed, failed.Status, failed.ErrorCode, service, what, connection);
            case AggregateException aggregate:
                // The pipeline's retries all failed with exceptions: the last one says why.
                var inner = aggregate.Flatten().InnerExceptions;
                return inner.Count > 0 && Map(inner[^1], service, what, connection) is { } last
                    ? last
                    : new StorageUnavailableException($"{what}: {connection.Source} could not be reached.", ex);
            case AuthenticationFailedException or CredentialUnavailableException:
                return new StorageException(
                    $"{what}: no token for {connection.Source}: {FirstLine(ex.Message)} " +
                    "Check 'AzureWebJobsStorage__credential' ('managedidentity' in Azure) and 'AzureWebJobsStorage__clientId' (a user-assigned identity's client id).",
                    401,
                    ex);
            case HttpRequestException or IOException or SocketException:
                return new StorageUnavailableException($"{what}: {connection.Source} could not be reached: {FirstLine(ex.Message)}", ex);
            default:
                return null;
        }
    }

    private static StorageException FromStatus(Exception ex, int status, string? code, StorageService service, string what, StorageConnection connection)
    {
        var message = $"{what}: {status} {code}".TrimEnd();
        return status switch
        {
            // No HTTP answer at all (refused connection, DNS, TLS): the account or endpoint cannot be reached.
            0 => new StorageUnavailableException($"{what}: {connection.Source} could not be reached: {FirstLine(ex.Message)}", ex),
            401 => new StorageException($"{message}: {connection.Source} refused the credential. Check 'AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId' and the account name.", 401, ex),
            403 when code is "AuthorizationPermissionMismatch" or "AuthorizationFailure" && connection.Authentication == StorageAuthentication.Identity =>
                new StorageException($"{message}: the app's identity lacks the role '{RoleFor(service)}' on {connection.Source}.", 403, ex),
            404 => new StorageNotFoundException(message, ex),
            409 => new StorageConflictException(message, ex),
            412 => new StoragePreconditionFailedException(message, ex),
            408 or 429 or >= 500 => new StorageUnavailableException(message, ex),
            _ => new StorageException(message, status, ex),
        };
    }

    public static string RoleFor(StorageService service) => service switch
    {
        StorageService.Blob => "Storage Blob Data Contributor",
        StorageService.Queue => "Storage Queue Data Contributor",
        _ => "Storage Table Data Contributor",
    };

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
