using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Hosting;

namespace Serverless;

public static class SettingDefaults
{
    /// <summary>
    /// Adds defaults below every other configuration source, so <c>%Setting%</c> expressions in function.json resolve
    /// locally even when the setting is not set; in Azure the Bicep sets each explicitly.
    /// </summary>
    public static IHostApplicationBuilder AddSettingDefaults(this IHostApplicationBuilder builder, IDictionary<string, string?> defaults)
    {
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        return builder;
    }
}
