using Serverless.Functions;
using Serverless.LocalHost;

// The local host: the function app's [Function] methods on Azurite, where no Functions host can be installed.
var builder = WebApplication.CreateBuilder(args);
builder.AddLocalHost();
builder.AddServerlessApp();

var app = builder.Build();
app.UseLocalHost();
app.Run();

/// <summary>The entry point; public so the tests' WebApplicationFactory can start the host in-process.</summary>
public partial class Program;
