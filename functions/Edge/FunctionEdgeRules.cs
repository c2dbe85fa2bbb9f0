using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Identity;

namespace Serverless.Functions.Edge;

/// <summary>What the edge enforces for one HTTP function, read from its method's attributes.</summary>
/// <param name="Policy">The authorization policy (<see cref="AuthorizeAttribute"/>), or null for an anonymous function.</param>
/// <param name="MaxBodyBytes">The request body limit, or null when the function enforces its own (<see cref="DisableRequestSizeLimitAttribute"/>).</param>
public sealed record FunctionEdgeRule(string? Policy, long? MaxBodyBytes);

/// <summary>
/// The edge rules of the app's functions, found from the <see cref="FunctionDefinition.EntryPoint"/> both hosts give
/// (<c>Namespace.Class.Method</c>): <c>[Authorize(Policy = …)]</c> on the method or its class, <c>[AllowAnonymous]</c> and
/// <c>[DisableRequestSizeLimit]</c>. Functions without them are anonymous with the default
/// body limit (<c>Edge__MaxRequestBodyBytes</c>).
/// </summary>
public sealed class FunctionEdgeRules(IOptions<EdgeOptions> edge)
{
    private readonly ConcurrentDictionary<string, FunctionEdgeRule> _rules = new(StringComparer.Ordinal);

    public FunctionEdgeRule For(FunctionDefinition function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return _rules.GetOrAdd(function.EntryPoint, static (entryPoint, self) => self.Read(FindMethod(entryPoint)), this);
    }

    /// <summary>The method an entry point names, in the function app's assembly.</summary>
    public static MethodInfo FindMethod(string entryPoint)
    {
        ArgumentNullException.ThrowIfNull(entryPoint);
        var dot = entryPoint.LastIndexOf('.');
        var type = dot > 0 ? typeof(FunctionEdgeRules).Assembly.GetType(entryPoint[..dot]) : null;
        var methods = type?.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)
            .Where(m => m.Name == entryPoint[(dot + 1)..]).ToList();
        return methods is [var method]
            ? method
            : throw new InvalidOperationException($"The function entry point '{entryPoint}' names no single method of the function app.");
    }

    public FunctionEdgeRule Read(MethodInfo method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var anonymous = method.GetCustomAttribute<AllowAnonymousAttribute>() is not null;
        var authorize = method.GetCustomAttribute<AuthorizeAttribute>() ?? method.DeclaringType?.GetCustomAttribute<AuthorizeAttribute>();
        long? limit = method.GetCustomAttribute<DisableRequestSizeLimitAttribute>() is not null ? null : edge.Value.MaxRequestBodyBytes;
        return new FunctionEdgeRule(anonymous ? null : authorize?.Policy, limit);
    }
}
