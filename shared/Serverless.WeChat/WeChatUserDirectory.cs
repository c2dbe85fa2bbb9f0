using Serverless.Identity;
using Serverless.Storage;

namespace Serverless.WeChat;

/// <summary>The <c>WeChatUsers</c> table: one row per WeChat user id holding its openid (never returned by the API).</summary>
internal sealed class WeChatUserDirectory(ITableStore tables, TimeProvider time) : IWeChatUsers
{
    public const string Table = "WeChatUsers";
    private const string RowKey = "openid";

    public async Task RecordSignInAsync(string userId, string openId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(openId);
        await tables.UpsertAsync(
            Table,
            new TableRow(userId, RowKey, new Dictionary<string, object?> { ["OpenId"] = openId, ["LastSignInAt"] = time.GetUtcNow() }),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> FindOpenIdAsync(string userId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(userId) || userId.StartsWith("dev-", StringComparison.Ordinal) || !UserIdFormat.IsValid(userId))
        {
            return null;
        }

        var row = await tables.GetAsync(Table, userId, RowKey, cancellationToken).ConfigureAwait(false);
        return row?.GetString("OpenId");
    }
}
