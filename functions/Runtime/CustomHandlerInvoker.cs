using System.Globalization;
using System.Text.Json;
using Serverless.Functions;

namespace Serverless.Functions.Runtime;

/// <summary>
/// Answers the Functions host's custom-handler invocation: <c>{"Data":{…},"Metadata":{…}}</c> in,
/// <c>{"Outputs":{},"Logs":[],"ReturnValue":null}</c> out. A failed handler answers 500 so the host retries the
/// message and moves it to the poison queue after <c>maxDequeueCount</c>.
/// </summary>
public sealed partial class CustomHandlerInvoker(FunctionExecutor executor, ILogger<CustomHandlerInvoker> logger)
{
    public async Task<IResult> InvokeAsync(FunctionDefinition function, HttpContext context, CancellationToken cancellationToken)
    {
        JsonDocument payload;
        try
        {
            payload = await JsonDocument.ParseAsync(context.Request.Body, default, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Results.BadRequest(Response([$"Invocation payload is not JSON: {ex.Message}"]));
        }

        using (payload)
        {
            var root = payload.RootElement;
            var data = root.TryGetProperty("Data", out var d) ? d : default;
            var metadata = root.TryGetProperty("Metadata", out var m) ? m : default;
            try
            {
                switch (function.Kind)
                {
                    case FunctionKind.Queue:
                        await executor.RunQueueAsync(ReadQueueTrigger(function, data, metadata), cancellationToken).ConfigureAwait(false);
                        break;
                    case FunctionKind.Timer:
                        await executor.RunTimerAsync(ReadTimerTrigger(function, data), cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        return Results.BadRequest(Response([$"{function.Name} is not invoked this way."]));
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex, function.Name);
                return Results.Json(Response([$"{function.Name} failed: {ex.GetType().Name}: {ex.Message}"]), statusCode: 500);
            }
        }

        return Results.Json(Response([]));
    }

    public static QueueTrigger ReadQueueTrigger(FunctionDefinition function, JsonElement data, JsonElement metadata)
    {
        var body = string.Empty;
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty(function.TriggerBindingName, out var item))
        {
            body = item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText();
        }

        var dequeueCount = 1;
        string? id = null;
        DateTimeOffset? inserted = null;
        if (metadata.ValueKind == JsonValueKind.Object)
        {
            if (metadata.TryGetProperty("DequeueCount", out var count))
            {
                dequeueCount = count.ValueKind == JsonValueKind.Number ? count.GetInt32() : int.Parse(count.GetString()!, CultureInfo.InvariantCulture);
            }

            if (metadata.TryGetProperty("Id", out var idValue) && idValue.ValueKind == JsonValueKind.String)
            {
                id = idValue.GetString();
            }

            if (metadata.TryGetProperty("InsertionTime", out var time) && time.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                inserted = parsed;
            }
        }

        return new QueueTrigger(function.Name, function.QueueName!, body, dequeueCount, id, inserted);
    }

    public static TimerTrigger ReadTimerTrigger(FunctionDefinition function, JsonElement data)
    {
        var pastDue = false;
        DateTimeOffset? next = null;
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty(function.TriggerBindingName, out var timer))
        {
            if (timer.ValueKind == JsonValueKind.String)
            {
                using var inner = JsonDocument.Parse(timer.GetString()!);
                return ReadTimerInfo(function, inner.RootElement);
            }

            return ReadTimerInfo(function, timer);
        }

        return new TimerTrigger(function.Name, pastDue, next);
    }

    private static TimerTrigger ReadTimerInfo(FunctionDefinition function, JsonElement timer)
    {
        var pastDue = timer.TryGetProperty("IsPastDue", out var p) && p.ValueKind == JsonValueKind.True;
        DateTimeOffset? next = null;
        if (timer.TryGetProperty("ScheduleStatus", out var status) && status.ValueKind == JsonValueKind.Object
            && status.TryGetProperty("Next", out var n) && n.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(n.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            next = parsed;
        }

        return new TimerTrigger(function.Name, pastDue, next);
    }

    private static object Response(string[] logs) => new { Outputs = new Dictionary<string, object>(), Logs = logs, ReturnValue = (object?)null };

    [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Function {Function} failed")]
    private partial void LogFailed(Exception exception, string function);
}
