using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace Serverless.Functions;

/// <summary>The function app as Azure runs it: the isolated worker with the ASP.NET Core integration, under the Functions host.</summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.AddServerlessApp();
        builder.UseServerlessMiddleware();
        builder.Build().Run();
    }
}
