using Serverless.Functions.Runtime;
using Serverless.Functions.Web;
using Serverless.Identity;
using Serverless.Media;
using Serverless.Pipeline;
using Serverless.Playback;
using Serverless.Recommendations;
using Serverless.Storage;
using Serverless.Templates;

var builder = WebApplication.CreateBuilder(args);

builder.AddFunctionsRuntime();
builder.AddWeb();
builder.AddStorage();
builder.AddIdentity();
builder.AddMedia();
builder.AddPipeline();
builder.AddPlayback();
builder.AddTemplates();
builder.AddRecommendations();

var app = builder.Build();

app.UseFunctionsRuntime();
app.MapWeb();
app.MapIdentityApi();
app.MapPipelineApi();
app.MapPlaybackApi();
app.MapTemplatesApi();
app.MapRecommendationsApi();
app.MapFunctionInvocations();

app.Run();

/// <summary>Entry point; public for WebApplicationFactory in the tests.</summary>
public partial class Program;
