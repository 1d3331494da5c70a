using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using GrpcSync.Connectors;

namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>How a fake connector answered one call.</summary>
public enum FakeCallKind { Enumerate, ChangesSince }

/// <summary>One call the engine made to the fake connector.</summary>
public sealed record FakeCall(FakeCallKind Kind, string? Cursor, string Secret, string ConfigurationJson);

/// <summary>
/// An in-memory source (integration <c>fake</c>, pipeline <c>items</c>): items with a version
/// counter; the cursor is the counter as text. Tests script the next calls with <see cref="Then"/>
/// (throw, block on a <see cref="Gate"/>, custom pages); unscripted calls serve the items.
/// </summary>
public sealed class FakeConnector : IConnector
{
    public const string Name = "fake";
    public const string ItemsPipeline = "items";

    public delegate IAsyncEnumerable<SourcePage> Behavior(FakeCall call, CancellationToken ct);

    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, (string Name, long Version)> _items = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Behavior> _script = new();
    private readonly ConcurrentQueue<FakeCall> _calls = new();
    private long _version;

    public string Integration => Name;

    public IReadOnlyCollection<string> Pipelines { get; } = [ItemsPipeline];

    public IReadOnlyList<FakeCall> Calls => [.. _calls];

    /// <summary>The request gate (<see cref="SourceContext.Requests"/>) the engine handed to the latest call.</summary>
    public IRequestGate? LastRequestGate { get; private set; }

    /// <summary>The current source version, i.e. the cursor a complete read returns.</summary>
    public string Cursor
    {
        get
        {
            lock (_lock)
            {
                return _version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Creates or changes an item.</summary>
    public void Put(string id, string name)
    {
        lock (_lock)
        {
            _items[id] = (name, ++_version);
        }
    }

    public void Remove(string id)
    {
        lock (_lock)
        {
            _items.Remove(id);
            _version++;
        }
    }

    /// <summary>Scripts the next unscripted call.</summary>
    public void Then(Behavior behavior) => _script.Enqueue(behavior);

    public void ThenThrow(Exception exception) => Then((_, ct) => ThrowAsync(exception, ct));

    /// <summary>The next call waits at the gate, then serves the items as usual.</summary>
    public void ThenBlock(Gate gate) => Then((call, ct) => BlockThenServeAsync(gate, call, ct));

    /// <summary>The next call waits at the gate, then fails with <paramref name="exception"/> (a source that changed meanwhile).</summary>
    public void ThenBlockThenThrow(Gate gate, Exception exception) => Then((_, ct) => BlockThenThrowAsync(gate, exception, ct));

    public IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration) => [];

    public IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct) =>
        Serve(context, new FakeCall(FakeCallKind.Enumerate, null, context.Secret, context.Configuration.GetRawText()), ct);

    public IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct) =>
        Serve(context, new FakeCall(FakeCallKind.ChangesSince, cursor, context.Secret, context.Configuration.GetRawText()), ct);

    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct) =>
        throw new NotSupportedException();

    /// <summary>A page of (id, name) records; the fingerprint is the name.</summary>
    public static SourcePage Page(string? cursor, params (string Id, string Name)[] records) =>
        new([.. records.Select(r => Record(r.Id, r.Name, r.Name))], cursor);

    public static SourceRecord Record(string id, string name, string fingerprint) =>
        new(id, new JsonObject { ["name"] = name }, fingerprint);

    /// <summary>What an unscripted call returns: every item (enumerate) or those changed after the cursor.</summary>
    public async IAsyncEnumerable<SourcePage> ServeItemsAsync(FakeCall call, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        long since = call.Kind == FakeCallKind.ChangesSince && long.TryParse(call.Cursor, out var c) ? c : 0;
        List<SourceRecord> records;
        string cursor;
        lock (_lock)
        {
            records = [.. _items.Where(i => i.Value.Version > since).Select(i => Record(i.Key, i.Value.Name, "v" + i.Value.Version))];
            cursor = _version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        yield return new SourcePage(records, cursor);
    }

    private IAsyncEnumerable<SourcePage> Serve(SourceContext context, FakeCall call, CancellationToken ct)
    {
        LastRequestGate = context.Requests;
        _calls.Enqueue(call);
        return _script.TryDequeue(out var behavior) ? behavior(call, ct) : ServeItemsAsync(call, ct);
    }

    private async IAsyncEnumerable<SourcePage> BlockThenServeAsync(Gate gate, FakeCall call, [EnumeratorCancellation] CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        await foreach (var page in ServeItemsAsync(call, ct))
        {
            yield return page;
        }
    }

#pragma warning disable CS0162 // the yield only makes these iterators
    private static async IAsyncEnumerable<SourcePage> ThrowAsync(Exception exception, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        throw exception;
        yield break;
    }

    private static async IAsyncEnumerable<SourcePage> BlockThenThrowAsync(Gate gate, Exception exception,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        throw exception;
        yield break;
    }
#pragma warning restore CS0162
}
