using Serverless.Functions.Runtime;
using Serverless.Identity;
using Serverless.Media;
using Serverless.Pipeline;
using Serverless.Playback;
using Serverless.Recommendations;
using Serverless.Storage;
using Serverless.Templates;

var builder = WebApplication.CreateBuilder(args);

builder.AddFunctionsRuntime();
builder.AddStorage();
builder.AddIdentity();
builder.AddMedia();
builder.AddPipeline();
builder.AddPlayback();
builder.AddTemplates();
builder.AddRecommendations();

var app = builder.Build();

app.UseFunctionsRuntime();
app.MapIdentityApi();
app.MapPipelineApi();
app.MapPlaybackApi();
app.MapTemplatesApi();
app.MapRecommendationsApi();
app.MapFunctionInvocations();

app.Run();

/// <summary>Entry point; public for WebApplicationFactory in the tests.</summary>
public partial class Program;
