using Serverless.Functions;
using Serverless.LocalHost;

if (args.Contains("--event-grid"))
{
    // Event Grid's part alone, beside the Functions host on Azurite (./dev.sh run --real-host, the real-host suite).
    var events = Host.CreateApplicationBuilder(args.Where(a => a != "--event-grid").ToArray());
    events.AddEventGridOnly();
    events.Build().Run();
    return;
}

// The local host: the function app's [Function] methods on Azurite, where no Functions host can be installed.
var builder = WebApplication.CreateBuilder(args);
builder.AddLocalHost();
builder.AddServerlessApp();

var app = builder.Build();
app.UseLocalHost();
app.Run();

/// <summary>The entry point; public so the tests' WebApplicationFactory can start the host in-process.</summary>
public partial class Program;
