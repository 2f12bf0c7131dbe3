using Microsoft.Extensions.Options;

namespace Sift;

/// <summary>Options that never change, for classes that read an <see cref="IOptionsMonitor{T}"/>.</summary>
internal sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
