using DurableTask.Core;

namespace Serverless.LocalHost.Durable;

/// <summary>
/// Makes a fresh orchestration (they hold per-execution state) or activity under a name, version "": the dispatcher looks
/// them up by name and version, and an unnamed creator is never found ("TaskActivity X version  was not found").
/// </summary>
internal sealed class NamedCreator<T> : ObjectCreator<T>
{
    private readonly Func<T> _create;

    public NamedCreator(string name, Func<T> create)
    {
        Name = name;
        Version = string.Empty;
        _create = create;
    }

    public override T Create() => _create();
}
